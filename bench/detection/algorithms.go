package main

import (
	"fmt"
	"math"
	"time"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/rollout"
)

// outcome is what one algorithm did on one run of traffic.
type outcome struct {
	rolledBack bool
	// at is when the rollback took effect, in seconds since the candidate first took
	// traffic; for a run without rollback, when it ended (promoted or horizon).
	at float64
	// failed counts the candidate's failed requests served before at.
	failed float64
}

// algorithm replays one run of a world and decides when (if ever) to roll back.
type algorithm interface {
	name() string
	replay(r *runTraffic) (outcome, error)
}

// slipway is Slipway's production decision, rollout.Assess - what the controller
// calls at every read - over the spec a deploy builds from slipway.yaml: every
// interval it gets both versions' traffic since the previous read and since the
// step began, and moves through the steps as the controller does.
type slipway struct {
	label string
	spec  rollout.Spec
	// horizon bounds a run in seconds (a rollout that neither promotes nor rolls
	// back by then counts as not rolled back).
	horizon int
}

func (s slipway) name() string { return s.label }

func (s slipway) replay(r *runTraffic) (outcome, error) {
	tick := s.spec.Interval
	per := int(math.Round(tick.Seconds()))
	step, stepStart := 0, 0
	var st analysis.SeqState
	var sum rollout.Reads
	failed := 0.0
	for t := 0; t < s.horizon; t += per {
		var iv rollout.Reads
		ws, wb, wc := s.spec.Split(s.spec.Steps[step])
		for k := 0; k < per; k++ {
			iv = addReads(iv, r.reads(t+k, float64(ws)/100, float64(wb)/100, float64(wc)/100))
		}
		failed += iv.Candidate.Errors
		sum = addReads(sum, iv)
		now := t + per
		a, err := rollout.Assess(s.spec, st, iv, sum, time.Duration(now-stepStart)*time.Second)
		if err != nil {
			return outcome{}, fmt.Errorf("%s at %ds: %w", s.label, now, err)
		}
		st = a.Seq
		switch a.Decision {
		case analysis.Fail:
			return outcome{rolledBack: true, at: float64(now), failed: failed}, nil
		case analysis.Pass:
			step++
			if step >= len(s.spec.Steps) || s.spec.Steps[step] >= 100 {
				return outcome{at: float64(now), failed: failed}, nil
			}
			st, sum, stepStart = st.NewStep(), rollout.Reads{}, now
		}
	}
	return outcome{at: float64(s.horizon), failed: failed}, nil
}

// addReads sums two interval reads of every track.
func addReads(a, b rollout.Reads) rollout.Reads {
	return rollout.Reads{Candidate: add(a.Candidate, b.Candidate), Stable: add(a.Stable, b.Stable), Baseline: add(a.Baseline, b.Baseline)}
}

// add sums two interval reads of one version.
func add(a, b analysis.Series) analysis.Series {
	if a.Latency.Bounds == nil {
		a.Latency = analysis.Histogram{Bounds: b.Latency.Bounds, Counts: make([]float64, len(b.Latency.Counts))}
	} else {
		a.Latency.Counts = append([]float64(nil), a.Latency.Counts...)
	}
	a.Requests += b.Requests
	a.Errors += b.Errors
	a.Latency.Count += b.Latency.Count
	for i, c := range b.Latency.Counts {
		a.Latency.Counts[i] += c
	}
	if b.Routes != nil {
		m := make(map[string]analysis.RouteCounts, len(b.Routes))
		for k, v := range a.Routes {
			m[k] = v
		}
		for k, v := range b.Routes {
			x := m[k]
			m[k] = analysis.RouteCounts{Requests: x.Requests + v.Requests, Errors: x.Errors + v.Errors}
		}
		a.Routes = m
	}
	return a
}

// flagger is Flagger's canary analysis as its scheduler runs it: every interval, first
// roll back if the failed checks have reached threshold, otherwise run the metric
// checks over the last interval and count a failed check when any metric is out of
// range (or has no data). Traffic starts at the "Starting canary analysis" tick, so
// the first check runs one interval later; with threshold 1 the rollback comes one
// interval after the first failed check. The candidate keeps its first weight (Flagger
// would raise it after each passing check, which only adds to its failed requests).
type flagger struct {
	interval  int // seconds
	threshold int
	// minSuccess is request-success-rate's thresholdRange.min, in percent.
	minSuccess float64
	weight     float64
	horizon    int
}

func (f flagger) name() string {
	return fmt.Sprintf("flagger interval=%ds threshold=%d", f.interval, f.threshold)
}

func (f flagger) replay(r *runTraffic) (outcome, error) {
	failedChecks := 0
	failed := 0.0
	for end := f.interval; end <= f.horizon; end += f.interval {
		var c analysis.Series
		for t := end - f.interval; t < end; t++ {
			ct, _ := r.tick(t, f.weight)
			c = add(c, ct)
		}
		failed += c.Errors
		if failedChecks >= f.threshold {
			return outcome{rolledBack: true, at: float64(end), failed: failed}, nil
		}
		if !f.checksPass(c) {
			failedChecks++
		}
	}
	return outcome{at: float64(f.horizon), failed: failed}, nil
}

// checksPass evaluates request-success-rate on the canary's traffic of one interval,
// as the builtin Prometheus query would: 100 * non-5xx / all.
func (f flagger) checksPass(c analysis.Series) bool {
	if c.Requests <= 0 {
		return false // "no values found for metric": a failed check
	}
	return 100*(c.Requests-c.Errors)/c.Requests >= f.minSuccess
}

// skipped is a column left out of the run: it replays nothing.
type skipped struct{}

func (skipped) name() string                        { return "skipped" }
func (skipped) replay(*runTraffic) (outcome, error) { return outcome{}, nil }
