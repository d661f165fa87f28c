package rollout

import (
	"time"

	"github.com/slipway/slipway/internal/analysis"
)

// Assessment is what one pass of a rollout concludes.
type Assessment struct {
	// Seq is the judge's state after the interval; Result its evidence.
	Seq    analysis.SeqState
	Result analysis.SeqResult
	// Step is the candidate's traffic since the step began and Verdict the checks'
	// values on it.
	Step    analysis.Series
	Verdict analysis.Verdict
	// Decision is Fail (roll back), Pass (next step) or Inconclusive (keep watching).
	Decision analysis.Outcome
	Reason   string
}

// Diff is the traffic of every track between two reads: to - from.
func Diff(to, from Reads) Reads {
	return Reads{Candidate: analysis.Sub(to.Candidate, from.Candidate), Stable: analysis.Sub(to.Stable, from.Stable),
		Baseline: analysis.Sub(to.Baseline, from.Baseline)}
}

// judge is the spec's sequential judge with the spec's checks: one e-process, one
// alpha, for every statistical check of the decision.
func (s Spec) judge() analysis.Sequential {
	q := s.Judge
	q.Checks = s.Criteria.Checks
	q.Baseline = s.HasBaseline()
	if q.LatencyWarmup == 0 && s.HasBaseline() {
		// the baseline starts with the candidate: both warm up alike, so latency
		// counts from the second read
		q.LatencyWarmup = max(s.Interval, time.Nanosecond)
	}
	if q.LatencyWarmup == 0 && s.Bake > 0 {
		// a short bake (a test, a demo) keeps half of each step for latency evidence
		q.LatencyWarmup = min(analysis.DefaultLatencyWarmup, s.Bake/2)
	}
	return q
}

// Assess is the decision of one pass, a pure function: st is the judge's state,
// interval the traffic since the previous read, step the traffic since the step
// began, elapsed the step's age. The candidate is compared with the baseline when
// the spec runs one (Spec.Reference), with the stable version otherwise. The sequential judge weighs the evidence of every
// statistical check (error-rate, latency, critical-logs) and of the relative streams
// under one alpha; Judge records the step's values and fails the measured checks
// (cpu, memory). Either failing rolls back; both must pass, after the bake, to move
// on. The controller and bench/detection both decide through it.
func Assess(s Spec, st analysis.SeqState, interval, step Reads, elapsed time.Duration) (Assessment, error) {
	q := s.judge()
	seq, res, err := q.Observe(st, interval.Candidate, s.Reference(interval))
	if err != nil {
		return Assessment{}, err
	}
	v := analysis.Judge(s.Criteria, step.Candidate, s.Reference(step))
	both := res
	if v.Outcome != analysis.Pass && both.Outcome == analysis.Pass {
		both.Outcome, both.Reason = analysis.Inconclusive, v.Reason
	}
	decision, why := q.Decide(both, elapsed, s.Bake)
	if v.Outcome == analysis.Fail && decision != analysis.Fail {
		decision, why = analysis.Fail, v.Reason
	}
	return Assessment{Seq: seq, Result: res, Step: step.Candidate, Verdict: v, Decision: decision, Reason: why}, nil
}
