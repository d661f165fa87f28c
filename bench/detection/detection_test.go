package main

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/router"
)

func TestSamplersAreCalibrated(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tt := range []struct{ n, p float64 }{{10, 0.005}, {200, 0.02}, {1000, 0.3}, {50, 0.9}} {
		sum := 0.0
		for range 20000 {
			k := binomial(rng, tt.n, tt.p)
			if k < 0 || k > tt.n || k != math.Round(k) {
				t.Fatalf("binomial(%v, %v) = %v", tt.n, tt.p, k)
			}
			sum += k
		}
		if mean, want := sum/20000, tt.n*tt.p; math.Abs(mean-want) > 4*math.Sqrt(tt.n*tt.p*(1-tt.p)/20000)+0.01 {
			t.Errorf("binomial(%v, %v) mean %v, want %v", tt.n, tt.p, mean, want)
		}
	}
	for _, mean := range []float64{0.5, 10, 200} {
		sum := 0.0
		for range 20000 {
			sum += poisson(rng, mean)
		}
		if got := sum / 20000; math.Abs(got-mean) > 4*math.Sqrt(mean/20000)+0.01 {
			t.Errorf("poisson(%v) mean %v", mean, got)
		}
	}
}

func TestTickIsConsistent(t *testing.T) {
	w := world{rate: 200, cand: errs(base, 0.02), stable: base, routes: 10, badRoute: 3, badRouteRate: 0.5}
	r := w.newRun(rand.New(rand.NewPCG(3, 4)), router.DurationBuckets(), 600)
	var c, s analysis.Series
	for i := range 600 {
		ci, si := r.tick(i, 0.05)
		c, s = add(c, ci), add(s, si)
	}
	if math.Abs(c.Requests-6000) > 400 || s.Errors != 0 || c.Latency.Count != c.Requests {
		t.Errorf("candidate %v requests, latency count %v, stable errors %v: want about 6000, equal, 0", c.Requests, c.Latency.Count, s.Errors)
	}
	if med := s.Latency.Quantile(0.5); med < 0.03 || med > 0.05 {
		t.Errorf("stable median %v s, want about 0.04", med)
	}
	routeSum := 0.0
	for _, rc := range c.Routes {
		routeSum += rc.Errors
	}
	if routeSum != c.Errors || c.Routes["/v1/r3"].Errors < 200 {
		t.Errorf("route errors %v vs total %v, bad route %v: want equal, bad route about 300", routeSum, c.Errors, c.Routes["/v1/r3"])
	}
}

func TestFlaggerRollsBackOneIntervalAfterTheFailedCheck(t *testing.T) {
	w := world{rate: 200, cand: errs(base, 0.5), stable: base}
	f := flagger{interval: 60, threshold: 1, minSuccess: 99, weight: 0.05, horizon: 600}
	got, err := f.replay(w.newRun(rand.New(rand.NewPCG(1, 1)), router.DurationBuckets(), 600))
	if err != nil {
		t.Fatal(err)
	}
	if !got.rolledBack || got.at != 120 || got.failed < 200 {
		t.Errorf("flagger on 50%% errors = %+v, want rollback at 120s after about 300 failed requests", got)
	}
}

func TestRunPrintsTheSummaryLineLast(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out, options{quick: true, seed: 3, aaRuns: 2, bugRun: 2}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := lines[len(lines)-1]
	re := regexp.MustCompile(`^detection: failed_requests slipway=[0-9.]+ flagger_default=[0-9.]+ ratio=[0-9.]+ false_rollback_rate=[0-9.]+$`)
	if !re.MatchString(last) {
		t.Errorf("last line %q does not match %s", last, re)
	}
}
