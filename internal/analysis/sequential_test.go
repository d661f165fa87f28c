package analysis

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var (
	healthy = version{errRate: 0.005, median: 0.05, sigma: 0.5}
	clean   = version{errRate: 0, median: 0.05, sigma: 0.5}
)

func TestObserveHandComputed(t *testing.T) {
	// 5 candidate and 95 stable requests: share 0.05, prior fixed at 0.05.
	prior := ratioPrior(0.05)
	errorsE := func(xc, x float64) float64 {
		lr := relativeUpdate(nil, 0.05, xc, x)
		e := 0.0
		for k := range lr {
			e += math.Exp(prior[k] + lr[k])
		}
		return e
	}
	tests := []struct {
		name             string
		ce, se           float64
		want             Outcome
		wantE            float64
		wantLead         string
		wantRatioAtLeast float64
	}{
		// errors weigh 0.6 of 0.9; the other streams hold e = 1.
		{"no errors", 0, 0, Inconclusive, 1, StreamErrors, 0},
		{"one candidate error is not enough", 1, 0, Inconclusive, 2.0/3*errorsE(1, 1) + 1.0/3, StreamErrors, 100},
		{"two candidate errors, clean stable", 2, 0, Fail, 2.0/3*errorsE(2, 2) + 1.0/3, StreamErrors, 1000},
		{"errors on both sides", 2, 5, Inconclusive, 2.0/3*errorsE(2, 7) + 1.0/3, StreamLatency, 0},
	}
	for _, tt := range tests {
		var q Sequential
		c := Series{Requests: 5, Errors: tt.ce}
		s := Series{Requests: 95, Errors: tt.se}
		_, res, err := q.Observe(SeqState{}, c, s)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if res.Outcome != tt.want || math.Abs(res.EValue-tt.wantE) > 1e-9*tt.wantE {
			t.Errorf("%s: outcome %s e-value %v, want %s %v (%s)", tt.name, res.Outcome, res.EValue, tt.want, tt.wantE, res.Reason)
		}
		if tt.wantRatioAtLeast > 0 && (res.Leading != tt.wantLead || res.Streams[0].Ratio < tt.wantRatioAtLeast) {
			t.Errorf("%s: leading %s ratio %v, want %s with ratio >= %v", tt.name, res.Leading, res.Streams[0].Ratio, tt.wantLead, tt.wantRatioAtLeast)
		}
		if res.Threshold != 100 || res.Alpha != 0.01 || res.Candidate.Requests != 5 || res.Stable.Errors != tt.se {
			t.Errorf("%s: result lacks its evidence: %+v", tt.name, res)
		}
	}
}

// The story's bug: 200 req/s, 5% to a candidate failing 2% of requests, stable clean.
func TestObserveCatchesStoryBug(t *testing.T) {
	var q Sequential
	bad := version{errRate: 0.02, median: 0.05, sigma: 0.5}
	var total int
	for seed := range uint64(50) {
		at, res := runJudge(q, seed, 600, 200, 0.05, bad, clean)
		if at == 0 {
			t.Fatalf("seed %d: not caught in 600 ticks: %s", seed, res.Reason)
		}
		if res.Leading != StreamErrors || !strings.Contains(res.Reason, "errors") {
			t.Errorf("seed %d: leading %s (%s), want errors", seed, res.Leading, res.Reason)
		}
		total += at
	}
	if mean := float64(total) / 50; mean > 30 {
		t.Errorf("mean ticks to catch the story bug %.1f, want <= 30 (about 3 errors at 0.2 errors/s)", mean)
	}
}

func TestObserveCatchesLatencyRegression(t *testing.T) {
	var q Sequential
	slow := version{errRate: 0, median: 0.1, sigma: 0.5} // twice the stable's latency
	for seed := range uint64(20) {
		at, res := runJudge(q, seed, 300, 200, 0.05, slow, clean)
		if at == 0 {
			t.Fatalf("seed %d: latency x2 not caught in 300 ticks: %s", seed, res.Reason)
		}
		if res.Leading != StreamLatency {
			t.Errorf("seed %d: leading %s, want latency (%s)", seed, res.Leading, res.Reason)
		}
	}
	fast := version{errRate: 0, median: 0.025, sigma: 0.5}
	if at, res := runJudge(q, 1, 300, 200, 0.05, fast, clean); at != 0 {
		t.Errorf("a faster candidate failed at tick %d: %s", at, res.Reason)
	}
}

// A/A: both versions share a 0.5% error rate and the same latency. Over many seeded
// rollouts of ten minutes (one look per second) the judge may fail at most alpha of
// them; Ville's inequality promises it for any number of looks.
func TestObserveAAFalseAlarmRate(t *testing.T) {
	if testing.Short() {
		t.Skip("300 simulated rollouts")
	}
	q := Sequential{MaxErrorRate: 0.01}
	const runs = 300
	var fails int
	maxLogE := math.Inf(-1)
	for seed := range uint64(runs) {
		at, res := runJudge(q, 1000+seed, 600, 200, 0.05, healthy, healthy)
		if at != 0 {
			fails++
		}
		maxLogE = math.Max(maxLogE, res.LogEValue)
	}
	if rate := float64(fails) / runs; rate > q.alpha() {
		t.Errorf("A/A false alarm rate %.4f (%d of %d), want <= %v", rate, fails, runs, q.alpha())
	}
	t.Logf("A/A: %d of %d rollouts failed", fails, runs)
}

func TestObservePassNeedsMinimumPerStep(t *testing.T) {
	q := Sequential{MinRequests: 50}
	st, res, err := q.Observe(SeqState{}, Series{Requests: 30}, Series{Requests: 570})
	if err != nil || res.Outcome != Inconclusive {
		t.Fatalf("30 of 50 requests: %s %v, want inconclusive", res.Outcome, err)
	}
	st, res, _ = q.Observe(st, Series{Requests: 30}, Series{Requests: 570})
	if res.Outcome != Pass || res.StepRequests != 60 {
		t.Fatalf("60 of 50 requests: %s with %v step requests, want pass with 60", res.Outcome, res.StepRequests)
	}
	st = st.NewStep()
	_, res, _ = q.Observe(st, Series{Requests: 30}, Series{Requests: 270})
	if res.Outcome != Inconclusive || res.Candidate.Requests != 90 {
		t.Errorf("new step: %s, %v total requests; want inconclusive, 90", res.Outcome, res.Candidate.Requests)
	}
}

func TestObserveNeverPassesWithoutStable(t *testing.T) {
	var q Sequential
	_, res, err := q.Observe(SeqState{}, Series{Requests: 500}, Series{})
	if err != nil || res.Outcome != Inconclusive || !strings.Contains(res.Reason, "no stable traffic") {
		t.Errorf("500 candidate requests, no stable: %s %q %v; want inconclusive for want of a baseline", res.Outcome, res.Reason, err)
	}
}

func TestObserveFailIsSticky(t *testing.T) {
	var q Sequential
	st, res, _ := q.Observe(SeqState{}, Series{Requests: 5, Errors: 3}, Series{Requests: 95})
	if res.Outcome != Fail {
		t.Fatalf("three candidate errors: %s, want fail", res.Outcome)
	}
	for range 5 {
		st, res, _ = q.Observe(st, Series{Requests: 5}, Series{Requests: 95, Errors: 20})
	}
	if res.Outcome != Fail || st.FailedAt != 1 {
		t.Errorf("after stable errors: %s failed at %d, want fail at 1", res.Outcome, st.FailedAt)
	}
}

func TestObserveIsPureAndResumable(t *testing.T) {
	q := Sequential{MaxErrorRate: 0.01}
	bad := version{errRate: 0.01, median: 0.06, sigma: 0.5}
	rng := newRand(7)
	var straight, resumed SeqState
	for i := range 40 {
		c, s := traffic(rng, 200, 0.1, bad, healthy)
		before := straight.clone()
		next, want, err := q.Observe(straight, c, s)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, straight); diff != "" {
			t.Fatalf("tick %d: Observe changed its input state (-before +after):\n%s", i, diff)
		}
		straight = next
		// persist and restore the resumed copy at every tick, as a restart would.
		blob, err := json.Marshal(resumed)
		if err != nil {
			t.Fatal(err)
		}
		var restored SeqState
		if err := json.Unmarshal(blob, &restored); err != nil {
			t.Fatal(err)
		}
		var got SeqResult
		resumed, got, _ = q.Observe(restored, c, s)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("tick %d: resumed judge differs (-straight +resumed):\n%s", i, diff)
		}
	}
	if _, err := json.Marshal(SeqResult{EValue: capExp(5000)}); err != nil {
		t.Errorf("a huge e-value must stay encodable: %v", err)
	}
}

func TestObserveRejectsBadInput(t *testing.T) {
	h := func(counts ...float64) Histogram {
		return Histogram{Bounds: testBounds[:len(counts)], Counts: counts, Count: counts[len(counts)-1]}
	}
	tests := []struct {
		name string
		q    Sequential
		st   SeqState
		c, s Series
		want string
	}{
		{"negative requests", Sequential{}, SeqState{}, Series{Requests: -1}, Series{}, "requests -1"},
		{"NaN errors", Sequential{}, SeqState{}, Series{Requests: 1}, Series{Errors: math.NaN()}, "errors NaN"},
		{"more errors than requests", Sequential{}, SeqState{}, Series{Requests: 1, Errors: 2}, Series{}, "subset"},
		{"counts without bounds", Sequential{}, SeqState{}, Series{Latency: Histogram{Counts: []float64{1}, Count: 1}}, Series{}, "0 bounds and 1 counts"},
		{"non-cumulative histogram", Sequential{}, SeqState{}, Series{Latency: h(3, 2)}, Series{}, "cumulative"},
		{"bounds differ between versions", Sequential{}, SeqState{}, Series{Latency: h(1, 2)}, Series{Latency: h(1, 2, 3)}, "different bounds"},
		{"bounds changed since last time", Sequential{}, SeqState{LatencyBounds: []float64{9}}, Series{Latency: h(1)}, Series{}, "bounds changed"},
		{"bad config", Sequential{Alpha: 2, LowTraffic: "sometimes"}, SeqState{}, Series{}, Series{}, "alpha 2"},
	}
	for _, tt := range tests {
		before := tt.st.clone()
		got, _, err := tt.q.Observe(tt.st, tt.c, tt.s)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tt.name, err, tt.want)
		}
		if diff := cmp.Diff(before, got); diff != "" {
			t.Errorf("%s: state changed on error:\n%s", tt.name, diff)
		}
	}
}

func TestSequentialValidate(t *testing.T) {
	tests := []struct {
		q    Sequential
		want []string
	}{
		{Sequential{}, nil},
		{Sequential{Alpha: 0.05, MaxErrorRate: 0.01, MinRequests: 10, LowTraffic: LowTrafficFail}, nil},
		{Sequential{Alpha: 1}, []string{"alpha 1"}},
		{Sequential{MaxErrorRate: -0.1, MinRequests: -1, LowTraffic: "later", MaxExtension: -1}, []string{"max error rate", "min requests -1", `low traffic "later"`, "max extension"}},
	}
	for _, tt := range tests {
		err := tt.q.Validate()
		if (err == nil) != (tt.want == nil) {
			t.Errorf("Validate(%+v) = %v, want errors %q", tt.q, err, tt.want)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Validate(%+v) = %v, want it to mention %q", tt.q, err, w)
			}
		}
	}
}
