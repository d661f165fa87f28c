package analysis

import (
	"fmt"
	"math"
	"testing"
	"time"
)

func TestRelativeUpdateAt(t *testing.T) {
	// r0 = 1 is relativeUpdate.
	a, b := relativeUpdateAt(nil, 1, 0.1, 2, 5), relativeUpdate(nil, 0.1, 2, 5)
	for k := range a {
		if math.Abs(a[k]-b[k]) > 1e-12 {
			t.Fatalf("r0=1: %v, relativeUpdate %v", a, b)
		}
	}
	// closed form at r0 = 2, share 0.25, 3 of 4 events on the candidate.
	got := relativeUpdateAt(nil, 2, 0.25, 3, 4)
	for k, rho := range seqRatios {
		r := 2 * rho
		want := 3*math.Log(rho) + 4*(math.Log(2*0.25+0.75)-math.Log(r*0.25+0.75))
		if math.Abs(got[k]-want) > 1e-9 {
			t.Errorf("r0=2 ratio %v: log LR %v, want %v", r, got[k], want)
		}
	}
	// At the null's edge (true ratio r0) the exact binomial expectation of every
	// alternative's likelihood ratio is 1; below it, less.
	for _, tt := range []struct{ r0, trueR, s, x float64 }{{2, 2, 0.05, 6}, {3, 1, 0.2, 8}, {1.5, 1.5, 0.5, 3}} {
		p := tt.trueR * tt.s / (tt.trueR*tt.s + 1 - tt.s)
		for k := range seqRatios {
			e := 0.0
			for xc := 0.0; xc <= tt.x; xc++ {
				lr := relativeUpdateAt(nil, tt.r0, tt.s, xc, tt.x)
				e += binomPMFf(tt.x, xc, p) * math.Exp(lr[k])
			}
			if e > 1+1e-9 || (tt.trueR == tt.r0 && math.Abs(e-1) > 1e-9) {
				t.Errorf("%+v alternative %d: E[LR] = %v, want <= 1 (= 1 at the edge)", tt, k, e)
			}
		}
	}
	if got := relativeUpdateAt([]float64{1}, 2, 0, 1, 1); len(got) != 1 || got[0] != 1 {
		t.Errorf("no stable traffic must add nothing, got %v", got)
	}
}

func binomPMFf(n, k, p float64) float64 {
	lg := func(x float64) float64 { v, _ := math.Lgamma(x + 1); return v }
	return math.Exp(lg(n) - lg(k) - lg(n-k) + k*math.Log(p) + (n-k)*math.Log1p(-p))
}

func TestBoundIndex(t *testing.T) {
	bounds := []float64{0.01, 0.05, 0.1, 0.25}
	for _, tt := range []struct {
		b    float64
		want int
	}{{0.001, 0}, {0.05, 1}, {0.06, 2}, {0.25, 3}, {0.3, -1}} {
		if got := boundIndex(bounds, tt.b); got != tt.want {
			t.Errorf("boundIndex(%v) = %d, want %d", tt.b, got, tt.want)
		}
	}
}

// oneCheck runs a judge with a single check over the given intervals and returns the
// last result and the check's stream.
func oneCheck(t *testing.T, ch Check, intervals [][2]Series) (SeqResult, SeqStream) {
	t.Helper()
	q := Sequential{Checks: []Check{ch}, LatencyWarmup: time.Nanosecond} // latency counts from the second interval
	var st SeqState
	var res SeqResult
	for i, iv := range intervals {
		var err error
		st, res, err = q.Observe(st, iv[0], iv[1])
		if err != nil {
			t.Fatalf("interval %d: %v", i, err)
		}
	}
	for _, s := range res.Streams {
		if s.Name == ch.Metric+" check" {
			return res, s
		}
	}
	t.Fatalf("no stream for %s in %+v", ch.Metric, res.Streams)
	return res, SeqStream{}
}

func repeat(n int, c, s Series) [][2]Series {
	out := make([][2]Series, n)
	for i := range out {
		out[i] = [2]Series{c, s}
	}
	return out
}

// lat is a histogram over testBounds with fast requests at 10ms and slow ones at
// slowAt seconds.
func lat(fast, slow, slowAt float64) Histogram {
	h := Histogram{Bounds: testBounds, Counts: make([]float64, len(testBounds)), Count: fast + slow}
	for i, b := range testBounds {
		if b >= 0.01 {
			h.Counts[i] += fast
		}
		if b >= slowAt {
			h.Counts[i] += slow
		}
	}
	return h
}

func TestChecksNeedEvidence(t *testing.T) {
	errMax := Check{Metric: ErrorRate, Max: 0.01}
	p95 := Check{Metric: LatencyP95, Max: 0.1}
	tests := []struct {
		name      string
		ch        Check
		intervals [][2]Series
		wantFail  bool
	}{
		// The old threshold check failed this: 2 errors > 1% of a 150-request minimum.
		{"2 errors in 40 requests, stable as bad", errMax, repeat(1, Series{Requests: 40, Errors: 2}, Series{Requests: 760, Errors: 4}), false},
		{"2 errors in 40 requests, stable clean: not enough alone", errMax, repeat(1, Series{Requests: 40, Errors: 2}, Series{Requests: 760}), false},
		{"tiny sample: 1 error in 1 request", errMax, repeat(1, Series{Requests: 1, Errors: 1}, Series{Requests: 19}), false},
		{"no traffic at all", errMax, repeat(5, Series{}, Series{}), false},
		{"over the bound but no worse than the stable: a rollback would not help", errMax,
			repeat(60, Series{Requests: 100, Errors: 5}, Series{Requests: 1900, Errors: 95}), false},
		{"20% errors against a clean stable", errMax, repeat(3, Series{Requests: 50, Errors: 10}, Series{Requests: 950}), true},
		{"3% errors, stable 0.5%, 10 minutes", errMax, repeat(600, Series{Requests: 10, Errors: 0.3}, Series{Requests: 190, Errors: 0.95}), true},
		{"relative bound: 3x the stable is within 4x", Check{Metric: ErrorRate, NoMax: true, VsStable: 4},
			repeat(300, Series{Requests: 10, Errors: 0.3}, Series{Requests: 190, Errors: 1.9}), false},
		{"relative bound: 10x the stable is over 2x", Check{Metric: ErrorRate, NoMax: true, VsStable: 2},
			repeat(300, Series{Requests: 10, Errors: 1}, Series{Requests: 190, Errors: 1.9}), true},
		// The demo's healthy 1.12.1 under CPU contention: 3 of 102 slower than 100ms.
		{"p95: 3 of 102 slow against 0 of 5025", p95, repeat(1, Series{Requests: 102, Latency: lat(99, 3, 0.25)}, Series{Requests: 5025, Latency: lat(5025, 0, 0)}), false},
		{"p95 of a tiny sample: 2 of 5 slow", p95, repeat(1, Series{Requests: 5, Latency: lat(3, 2, 0.25)}, Series{Requests: 95, Latency: lat(95, 0, 0)}), false},
		{"p95: every request 250ms over a 100ms bound", p95, repeat(4, Series{Requests: 10, Latency: lat(0, 10, 0.25)}, Series{Requests: 190, Latency: lat(190, 0, 0)}), true},
		{"p95: 20% slow, stable 1%", p95, repeat(20, Series{Requests: 10, Latency: lat(8, 2, 0.25)}, Series{Requests: 190, Latency: lat(188, 2, 0.25)}), true},
		{"p95 relative: 3x the stable's p95", Check{Metric: LatencyP95, NoMax: true, VsStable: 2},
			append(repeat(5, Series{Requests: 20, Latency: lat(20, 0, 0)}, Series{Requests: 190, Latency: lat(190, 0, 0)}),
				repeat(10, Series{Requests: 20, Latency: lat(0, 20, 0.1)}, Series{Requests: 190, Latency: lat(190, 0, 0)})...), true},
		{"critical logs within max", Check{Metric: CriticalLogs, Max: 3}, repeat(3, Series{Requests: 10, LogErrors: 1}, Series{Requests: 190}), false},
		{"critical logs over max, none on the stable", Check{Metric: CriticalLogs, Max: 0}, repeat(3, Series{Requests: 10, LogErrors: 2}, Series{Requests: 190}), true},
		{"critical logs over max, as many as the stable's share", Check{Metric: CriticalLogs, Max: 0}, repeat(20, Series{Requests: 10, LogErrors: 1}, Series{Requests: 190, LogErrors: 19}), false},
	}
	// The check's own e-value against 1/alpha: the relative streams may fail a
	// candidate worse than the stable on their own, which is not what is tested here.
	for _, tt := range tests {
		res, s := oneCheck(t, tt.ch, tt.intervals)
		if got := s.LogEValue >= math.Log(res.Threshold); got != tt.wantFail {
			t.Errorf("%s: check has evidence %v (check e %v), want %v; %s", tt.name, got, s.EValue, tt.wantFail, res.Reason)
		}
		if !tt.wantFail && res.Outcome == Fail && res.Leading == s.Name {
			t.Errorf("%s: the check led a failure: %s", tt.name, res.Reason)
		}
	}
}

func TestCheckWeightsSplitAlpha(t *testing.T) {
	q := Sequential{MaxErrorRate: 0.01, Checks: []Check{{Metric: ErrorRate, Max: 0.01}, {Metric: LatencyP95, Max: 0.25},
		{Metric: Memory, Max: 1 << 30}, {Metric: CriticalLogs, NoMax: true, VsStable: 3}}}
	streams, checks := q.streamWeights()
	total := 0.0
	for _, w := range streams {
		total += w
	}
	for _, w := range checks {
		total += w
	}
	if math.Abs(total-1) > 1e-12 {
		t.Errorf("weights sum to %v, want 1: %v %v", total, streams, checks)
	}
	if _, ok := streams[StreamErrorSLO]; ok {
		t.Errorf("the SLO stream duplicates the error-rate check and must be off: %v", streams)
	}
	if checks[2] != 0 || checks[0] != checks[1] || checks[1] != checks[3] {
		t.Errorf("check weights %v: want equal for sampled checks, 0 for memory", checks)
	}
}

func TestRouteStream(t *testing.T) {
	routes := func(bad float64) map[string]RouteCounts {
		m := map[string]RouteCounts{}
		for i := range 10 {
			m[fmt.Sprintf("/r%d", i)] = RouteCounts{Requests: 1}
		}
		m["/r3"] = RouteCounts{Requests: 1, Errors: bad}
		return m
	}
	stableRoutes := func() map[string]RouteCounts {
		m := map[string]RouteCounts{}
		for i := range 10 {
			m[fmt.Sprintf("/r%d", i)] = RouteCounts{Requests: 19, Errors: 0.19}
		}
		return m
	}
	q := Sequential{}
	var st SeqState
	var res SeqResult
	failedAt := 0
	for i := 1; i <= 60 && failedAt == 0; i++ {
		// /r3 fails 30% of its candidate requests; in aggregate 3% vs 1%.
		c := Series{Requests: 10, Errors: 0.3, Routes: routes(0.3)}
		s := Series{Requests: 190, Errors: 1.9, Routes: stableRoutes()}
		var err error
		st, res, err = q.Observe(st, c, s)
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome == Fail {
			failedAt = i
		}
	}
	if failedAt == 0 {
		t.Fatalf("a route failing 30%% on the candidate was not caught in 60 intervals: %s", res.Reason)
	}
	var routeStream SeqStream
	for _, s := range res.Streams {
		if s.Name == StreamRoutes {
			routeStream = s
		}
	}
	if routeStream.Route != "/r3" || len(st.RouteSlots) != 10 {
		t.Errorf("route stream %+v, slots %v: want /r3 leading among 10 routes", routeStream, st.RouteSlots)
	}
	// more routes than slots: the extra ones are not followed, nothing breaks.
	many := map[string]RouteCounts{}
	for i := range 40 {
		many[fmt.Sprintf("/m%02d", i)] = RouteCounts{Requests: 2, Errors: 5} // errors > requests: clamped
	}
	st2, _, err := q.Observe(SeqState{}, Series{Requests: 80, Routes: many}, Series{Requests: 800, Routes: many})
	if err != nil || len(st2.RouteSlots) != maxRoutes {
		t.Errorf("40 routes: slots %d, err %v; want %d, nil", len(st2.RouteSlots), err, maxRoutes)
	}
}

func TestLatencyWarmupIgnoresAColdStart(t *testing.T) {
	q := Sequential{Checks: []Check{{Metric: LatencyP95, Max: 0.1}}} // default warm-up 30s
	cold := Series{Requests: 10, Latency: lat(0, 10, 0.25)}
	warm := Series{Requests: 10, Latency: lat(10, 0, 0)}
	stable := Series{Requests: 190, Latency: lat(190, 0, 0)}
	var st SeqState
	var res SeqResult
	for i := range 300 {
		c := warm
		if i < 30 {
			c = cold // every request slow for the first 30 one-second reads
		}
		var err error
		if st, res, err = q.Observe(st, c, stable); err != nil {
			t.Fatal(err)
		}
	}
	if res.Outcome == Fail || st.CandidateTime != 300*time.Second {
		t.Errorf("a 30s cold start failed the candidate or time is off (%s): %s", st.CandidateTime, res.Reason)
	}
	// the same slowness after the warm-up, for long enough to move the p95, is
	for range 60 {
		st, res, _ = q.Observe(st, cold, stable)
	}
	if res.Outcome != Fail {
		t.Errorf("slow after the warm-up: %s, want fail", res.Reason)
	}
}
