package main

import (
	"fmt"
	"math"

	"github.com/slipway/slipway/internal/analysis"
)

// outcome is what one algorithm did on one run of traffic.
type outcome struct {
	rolledBack bool
	// at is when the rollback took effect, in seconds since the candidate first took
	// traffic; for a run without rollback, the horizon.
	at float64
	// failed counts the candidate's failed requests served before at.
	failed float64
}

// algorithm replays a recording and decides when (if ever) to roll back.
type algorithm interface {
	name() string
	replay(r *recording) (outcome, error)
}

// slipway is Slipway's sequential judge, asked after every scrape of the router: every
// tick seconds it gets both versions' traffic since the previous scrape.
type slipway struct {
	label string
	judge analysis.Sequential
	tick  float64 // seconds, a multiple of binWidth
}

func (s slipway) name() string { return s.label }

func (s slipway) replay(r *recording) (outcome, error) {
	step := int(math.Round(s.tick / binWidth))
	var st analysis.SeqState
	for to := step; to <= len(r.candidate); to += step {
		c := r.window(r.candidate, to-step, to)
		b := r.window(r.stable, to-step, to)
		next, res, err := s.judge.Observe(st, c, b)
		if err != nil {
			return outcome{}, fmt.Errorf("replay %s at %.1fs: %w", s.label, float64(to)*binWidth, err)
		}
		st = next
		if res.Outcome == analysis.Fail {
			return outcome{rolledBack: true, at: float64(to) * binWidth, failed: r.errorsUntil(to)}, nil
		}
	}
	return outcome{at: float64(len(r.candidate)) * binWidth, failed: r.errorsUntil(len(r.candidate))}, nil
}

// flagger is Flagger's canary analysis as its scheduler runs it: every interval, first
// roll back if the failed checks have reached threshold, otherwise run the metric
// checks over the last interval and count a failed check when any metric is out of
// range (or has no data). Traffic starts at the "Starting canary analysis" tick, so
// the first check runs one interval later; with threshold 1 the rollback comes one
// interval after the first failed check.
type flagger struct {
	interval  float64 // seconds
	threshold int
	// minSuccess is request-success-rate's thresholdRange.min, in percent.
	minSuccess float64
	// maxP99 is request-duration's thresholdRange.max in seconds (Flagger's unit is
	// ms); zero leaves the check out.
	maxP99 float64
}

func (f flagger) name() string {
	n := fmt.Sprintf("flagger threshold=%d", f.threshold)
	if f.maxP99 > 0 {
		n += fmt.Sprintf(" +p99<=%.0fms", f.maxP99*1000)
	}
	return n
}

func (f flagger) replay(r *recording) (outcome, error) {
	step := int(math.Round(f.interval / binWidth))
	checks := len(r.candidate) / step
	failedChecks := 0
	for k := 1; k <= checks+1; k++ {
		to := k * step
		if failedChecks >= f.threshold {
			return outcome{rolledBack: true, at: float64(to) * binWidth, failed: r.errorsUntil(to)}, nil
		}
		if k > checks {
			break
		}
		if !f.checksPass(r.window(r.candidate, to-step, to)) {
			failedChecks++
		}
	}
	return outcome{at: float64(len(r.candidate)) * binWidth, failed: r.errorsUntil(len(r.candidate))}, nil
}

// checksPass evaluates the metrics on the canary's traffic of one interval, as the
// builtin Prometheus queries would: success rate = 100 * non-5xx / all, and p99 by
// histogram_quantile (linear interpolation inside the bucket).
func (f flagger) checksPass(c analysis.Series) bool {
	if c.Requests <= 0 {
		return false // "no values found for metric": a failed check
	}
	if 100*(c.Requests-c.Errors)/c.Requests < f.minSuccess {
		return false
	}
	if f.maxP99 > 0 && c.Latency.Quantile(0.99) > f.maxP99 {
		return false
	}
	return true
}
