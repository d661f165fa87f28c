package main

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/router"
)

// handMade returns a recording of horizon seconds in which the candidate serves
// perSec requests each second (in the second's first bin), all 10 ms fast, and the
// stable ten times as many; errs maps a second to the candidate errors in it.
func handMade(horizon float64, perSec float64, errs map[int]float64) *recording {
	r := newRecording(router.DurationBuckets(), horizon)
	per := int(math.Round(1 / binWidth))
	for sec := 0; sec*per < len(r.candidate); sec++ {
		c, s := &r.candidate[sec*per], &r.stable[sec*per]
		c.requests, c.errors = perSec, errs[sec]
		c.buckets[3] = perSec // <= 10 ms
		s.requests = 10 * perSec
		s.buckets[3] = 10 * perSec
	}
	return r
}

func TestFlaggerReplay(t *testing.T) {
	// 10 req/s: a 60 s window has 600 requests; more than 6 errors is < 99%.
	burst := func(secs ...int) map[int]float64 {
		m := map[int]float64{}
		for _, s := range secs {
			m[s] = 7
		}
		return m
	}
	tests := []struct {
		name string
		f    flagger
		errs map[int]float64
		want outcome
	}{
		{"healthy never rolls back", flagger{interval: 60, threshold: 1, minSuccess: 99}, nil, outcome{at: 300}},
		{"6 errors in 600 requests is exactly 99%", flagger{interval: 60, threshold: 1, minSuccess: 99}, map[int]float64{10: 6}, outcome{at: 300, failed: 6}},
		// first check at 60 s fails; the next tick (120 s) rolls back.
		{"threshold 1 rolls back one interval after the failed check", flagger{interval: 60, threshold: 1, minSuccess: 99}, burst(10), outcome{rolledBack: true, at: 120, failed: 7}},
		{"threshold 2 needs a second failed check", flagger{interval: 60, threshold: 2, minSuccess: 99}, burst(10, 130), outcome{rolledBack: true, at: 240, failed: 14}},
		{"failed checks are not reset by a passing one", flagger{interval: 60, threshold: 2, minSuccess: 99}, burst(10, 200), outcome{rolledBack: true, at: 300, failed: 14}},
		{"errors at a window's edge count in the earlier window", flagger{interval: 60, threshold: 1, minSuccess: 99}, burst(59), outcome{rolledBack: true, at: 120, failed: 7}},
	}
	for _, tt := range tests {
		r := handMade(300, 10, tt.errs)
		got, err := tt.f.replay(r)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(outcome{})); diff != "" {
			t.Errorf("%s: replay (-want +got):\n%s", tt.name, diff)
		}
	}
	// The latency check: 10 ms requests pass a 500 ms p99, and fail a 5 ms one.
	c := handMade(60, 10, nil).window(handMade(60, 10, nil).candidate, 0, 600)
	if !(flagger{minSuccess: 99, maxP99: 0.5}).checksPass(c) || (flagger{minSuccess: 99, maxP99: 0.005}).checksPass(c) {
		t.Errorf("p99 check on 10 ms requests: want pass at 500 ms and fail at 5 ms (p99 %v)", c.Latency.Quantile(0.99))
	}
	if (flagger{minSuccess: 99}).checksPass(analysis.Series{}) {
		t.Errorf("a window without data passed; Flagger counts it as a failed check")
	}
}

func TestSlipwayReplay(t *testing.T) {
	s := slipway{label: "slipway", tick: 1}
	// two candidate errors at 3 s against a clean stable at 1/11 of the traffic: the
	// judge must fail at the 4 s scrape (bins of second 3 are read at 4 s).
	got, err := s.replay(handMade(60, 10, map[int]float64{3: 3}))
	if err != nil {
		t.Fatal(err)
	}
	if want := (outcome{rolledBack: true, at: 4, failed: 3}); got != want {
		t.Errorf("replay = %+v, want %+v", got, want)
	}
	got, _ = s.replay(handMade(60, 10, nil))
	if got.rolledBack || got.at != 60 {
		t.Errorf("clean replay = %+v, want no rollback at the 60 s horizon", got)
	}
}

func TestSimulateIsReproducibleAndCalibrated(t *testing.T) {
	m := mix{rate: 200, weight: 0.05}
	p := profile{errRate: 0.02, median: 0.04, sigma: 0.6}
	a, b := newRecording(router.DurationBuckets(), 600), newRecording(router.DurationBuckets(), 600)
	a.simulate(rand.New(rand.NewPCG(1, 2)), m, p, baseLatency)
	b.simulate(rand.New(rand.NewPCG(1, 2)), m, p, baseLatency)
	if diff := cmp.Diff(a, b, cmp.AllowUnexported(recording{}, bin{})); diff != "" {
		t.Fatalf("same seed, different traffic:\n%s", diff)
	}
	c := a.window(a.candidate, 0, len(a.candidate))
	s := a.window(a.stable, 0, len(a.stable))
	// 600 s at 10 req/s: 6000 +- 77 candidate requests, 120 +- 11 errors.
	if math.Abs(c.Requests-6000) > 400 || math.Abs(c.Errors-120) > 50 || s.Errors != 0 {
		t.Errorf("candidate %v requests %v errors, stable %v errors; want about 6000, 120, 0", c.Requests, c.Errors, s.Errors)
	}
	// log-normal median 40 ms: the 25 ms and 50 ms bounds straddle it.
	if med := s.Latency.Quantile(0.5); med < 0.03 || med > 0.05 {
		t.Errorf("stable median %v s, want about 0.04", med)
	}
	if s.Latency.Count != s.Requests {
		t.Errorf("stable latency count %v, requests %v: want equal", s.Latency.Count, s.Requests)
	}
}

func TestSummarize(t *testing.T) {
	tests := []struct {
		in   []float64
		want summary
	}{
		{[]float64{3, 1, 2, 4}, summary{n: 4, mean: 2.5, p50: 2, p95: 4}},
		{[]float64{7}, summary{n: 1, mean: 7, p50: 7, p95: 7}},
	}
	for _, tt := range tests {
		if got := summarize(tt.in); got != tt.want {
			t.Errorf("summarize(%v) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
	if got := summarize(nil); !math.IsNaN(got.mean) {
		t.Errorf("summarize(nil).mean = %v, want NaN", got.mean)
	}
}

func TestRunPrintsTheSummaryLineLast(t *testing.T) {
	var out bytes.Buffer
	o := options{quick: true, seed: 3, tick: time.Second, alpha: 0.01, rate: 200, weight: 0.05, storyRuns: 8, aaRuns: 8, latencyRuns: 4}
	if err := run(context.Background(), &out, o); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	re := regexp.MustCompile(`^detection: failed_requests slipway=[0-9.]+ flagger_default=[0-9.]+ ratio=[0-9.]+ false_rollback_rate=[0-9.]+$`)
	if !re.MatchString(last) {
		t.Errorf("last line %q does not match %s", last, re)
	}
	for _, bad := range []options{{tick: 150 * time.Millisecond, alpha: 0.01, rate: 1, weight: 0.1}, {tick: time.Second, alpha: 2, rate: 1, weight: 0.1}, {tick: time.Second, alpha: 0.01, rate: 1, weight: 1}} {
		if err := run(context.Background(), &out, bad); err == nil {
			t.Errorf("run(%+v) = nil error, want a clear one", bad)
		}
	}
}
