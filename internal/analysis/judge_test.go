package analysis

import (
	"math"
	"testing"
	"time"
)

func TestJudge(t *testing.T) {
	slo := Criteria{MinRequests: 100, Checks: []Check{{Metric: ErrorRate, Max: 0.01}}}
	tests := []struct {
		name     string
		c        Criteria
		s        Series
		want     Outcome
		wantRate float64
	}{
		{"no traffic is inconclusive", slo, Series{}, Inconclusive, 0},
		{"few clean requests wait", slo, Series{Requests: 40}, Inconclusive, 0},
		{"one early error may still be diluted", slo, Series{Requests: 40, Errors: 1}, Inconclusive, 0.025},
		// A point estimate never fails a sampled check: Sequential weighs the evidence.
		{"early errors wait for the minimum", slo, Series{Requests: 40, Errors: 2}, Inconclusive, 0.05},
		{"clean minimum passes", slo, Series{Requests: 100}, Pass, 0},
		{"rate at the threshold passes", slo, Series{Requests: 200, Errors: 2}, Pass, 0.01},
		{"rate over the threshold is recorded, not failed", slo, Series{Requests: 300, Errors: 4}, Pass, 4.0 / 300},
		{"unknown metric fails safe", Criteria{MinRequests: 1, Checks: []Check{{Metric: "saturation"}}}, Series{Requests: 10}, Fail, 0},
	}
	for _, tt := range tests {
		v := Judge(tt.c, tt.s, Series{})
		if v.Outcome != tt.want {
			t.Errorf("%s: Judge(%+v) = %s (%s), want %s", tt.name, tt.s, v.Outcome, v.Reason, tt.want)
		}
		if len(v.Results) != len(tt.c.Checks) {
			t.Fatalf("%s: %d results, want %d", tt.name, len(v.Results), len(tt.c.Checks))
		}
		if r := v.Results[0]; tt.c.Checks[0].Metric == ErrorRate && (math.Abs(r.Value-tt.wantRate) > 1e-9 || r.Samples != tt.s.Requests || r.Threshold != 0.01) {
			t.Errorf("%s: result %+v, want value %v samples %v threshold 0.01", tt.name, r, tt.wantRate, tt.s.Requests)
		}
	}
}

func TestJudgeLatency(t *testing.T) {
	bounds := []float64{0.01, 0.05, 0.1, 0.5}
	// 100 requests: 90 under 10ms, 10 between 100ms and 500ms.
	h := Histogram{Bounds: bounds, Counts: []float64{90, 90, 90, 100}, Count: 100}
	c := Criteria{MinRequests: 50, Checks: []Check{{Metric: LatencyP95, Max: 0.25}}}
	v := Judge(c, Series{Requests: 100, Latency: h}, Series{})
	// rank 95 falls in the (0.1, 0.5] bucket, half way: 0.3s.
	if got := v.Results[0].Value; math.Abs(got-0.3) > 1e-9 || v.Outcome != Pass || !v.Results[0].Over {
		t.Errorf("p95 = %v, outcome %s, over %v; want 0.3, pass (evidence decides), over", got, v.Outcome, v.Results[0].Over)
	}
	c.Checks[0].Max = 0.35
	if v := Judge(c, Series{Requests: 100, Latency: h}, Series{}); v.Outcome != Pass {
		t.Errorf("p95 0.3 under 0.35: outcome %s, want pass", v.Outcome)
	}
}

func TestQuantile(t *testing.T) {
	tests := []struct {
		h    Histogram
		q    float64
		want float64
	}{
		{Histogram{}, 0.95, 0},
		{Histogram{Bounds: []float64{0.1, 1}, Counts: []float64{10, 10}, Count: 10}, 0.5, 0.05},
		{Histogram{Bounds: []float64{0.1, 1}, Counts: []float64{0, 0}, Count: 10}, 0.5, 1}, // all in +Inf
	}
	for _, tt := range tests {
		if got := tt.h.Quantile(tt.q); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("Quantile(%v) of %+v = %v, want %v", tt.q, tt.h, got, tt.want)
		}
	}
}

func TestSub(t *testing.T) {
	from := Series{Requests: 100, Errors: 1, Latency: Histogram{Bounds: []float64{1}, Counts: []float64{100}, Count: 100}}
	to := Series{Requests: 150, Errors: 4, Latency: Histogram{Bounds: []float64{1}, Counts: []float64{148}, Count: 150}}
	d := Sub(to, from)
	if d.Requests != 50 || d.Errors != 3 || d.Latency.Count != 50 || d.Latency.Counts[0] != 48 {
		t.Errorf("Sub = %+v, want 50 requests, 3 errors, 48 of 50 under 1s", d)
	}
	restarted := Series{Requests: 7, Errors: 1}
	if d := Sub(restarted, from); d.Requests != 7 || d.Errors != 1 {
		t.Errorf("Sub after a counter reset = %+v, want the new read itself", d)
	}
}

func TestJudgeAgainstStableAndSaturation(t *testing.T) {
	lat := func(fast, slow float64) Histogram { // fast under 10ms, slow in (100ms, 500ms]
		return Histogram{Bounds: []float64{0.01, 0.1, 0.5}, Counts: []float64{fast, fast, fast + slow}, Count: fast + slow}
	}
	tests := []struct {
		name              string
		check             Check
		candidate, stable Series
		want              Outcome
		wantValue         float64
	}{
		{"p95 within twice stable", Check{Metric: LatencyP95, NoMax: true, VsStable: 2},
			Series{Requests: 200, Latency: lat(192, 8)}, Series{Requests: 2000, Latency: lat(1920, 80)}, Pass, 0},
		{"p95 over twice stable is left to the evidence", Check{Metric: LatencyP95, NoMax: true, VsStable: 2},
			Series{Requests: 200, Latency: lat(100, 100)}, Series{Requests: 2000, Latency: lat(1990, 10)}, Pass, 0},
		{"a millisecond shift is under the latency floor", Check{Metric: LatencyP95, NoMax: true, VsStable: 2},
			Series{Requests: 200, Latency: Histogram{Bounds: []float64{0.001, 0.005}, Counts: []float64{0, 200}, Count: 200}},
			Series{Requests: 2000, Latency: Histogram{Bounds: []float64{0.001, 0.005}, Counts: []float64{1900, 2000}, Count: 2000}}, Pass, 0},
		{"relative waits for stable traffic", Check{Metric: LatencyP95, NoMax: true, VsStable: 2},
			Series{Requests: 200, Latency: lat(100, 100)}, Series{Requests: 20}, Inconclusive, 0},
		{"error rate vs a clean stable is floored", Check{Metric: ErrorRate, Max: 0.5, VsStable: 2},
			Series{Requests: 200, Errors: 1}, Series{Requests: 1000}, Pass, 0.005},
		{"error rate far over stable is left to the evidence", Check{Metric: ErrorRate, Max: 0.5, VsStable: 2},
			Series{Requests: 200, Errors: 6}, Series{Requests: 1000, Errors: 5}, Pass, 0.03},
		{"cpu in cores over the window", Check{Metric: CPU, Max: 0.5},
			Series{Requests: 200, CPUSeconds: 6, Window: 10 * time.Second}, Series{}, Fail, 0.6},
		{"memory is a gauge", Check{Metric: Memory, Max: 256 << 20},
			Series{Requests: 200, MemoryBytes: 100 << 20}, Series{}, Pass, 100 << 20},
		{"memory over max but under the stable's: a rollback would not help", Check{Metric: Memory, Max: 256 << 20},
			Series{Requests: 200, MemoryBytes: 300 << 20}, Series{Requests: 2000, MemoryBytes: 310 << 20}, Pass, 300 << 20},
		{"memory over max and over the stable's", Check{Metric: Memory, Max: 256 << 20},
			Series{Requests: 200, MemoryBytes: 300 << 20}, Series{Requests: 2000, MemoryBytes: 200 << 20}, Fail, 300 << 20},
		{"cpu over twice the stable", Check{Metric: CPU, NoMax: true, VsStable: 2},
			Series{Requests: 200, CPUSeconds: 5, Window: 10 * time.Second}, Series{Requests: 2000, CPUSeconds: 2, Window: 10 * time.Second}, Fail, 0.5},
		{"critical logs wait for the evidence", Check{Metric: CriticalLogs, Max: 0},
			Series{Requests: 5, LogErrors: 1}, Series{}, Inconclusive, 1},
		{"critical logs vs stable", Check{Metric: CriticalLogs, NoMax: true, VsStable: 3},
			Series{Requests: 200, LogErrors: 2}, Series{Requests: 1000, LogErrors: 1}, Pass, 2},
	}
	for _, tt := range tests {
		v := Judge(Criteria{MinRequests: 100, Checks: []Check{tt.check}}, tt.candidate, tt.stable)
		if v.Outcome != tt.want {
			t.Errorf("%s: outcome %s (%s), want %s", tt.name, v.Outcome, v.Reason, tt.want)
		}
		if tt.wantValue != 0 && math.Abs(v.Results[0].Value-tt.wantValue) > 1e-9 {
			t.Errorf("%s: value %v, want %v", tt.name, v.Results[0].Value, tt.wantValue)
		}
	}
}
