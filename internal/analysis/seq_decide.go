package analysis

import (
	"fmt"
	"time"
)

// LowTraffic is what a step does when its bake is over and the candidate has not yet
// served the minimum number of requests.
type LowTraffic string

// LowTraffic settings.
const (
	// LowTrafficWait keeps the step (and its weight) until the minimum is reached.
	LowTrafficWait LowTraffic = "wait"
	// LowTrafficExtend extends the bake by up to MaxExtension, then fails the step.
	LowTrafficExtend LowTraffic = "extend"
	// LowTrafficFail fails the step at the end of the bake.
	LowTrafficFail LowTraffic = "fail"
)

func (l LowTraffic) valid() bool {
	switch l {
	case "", LowTrafficWait, LowTrafficExtend, LowTrafficFail:
		return true
	}
	return false
}

func (q Sequential) lowTraffic() LowTraffic {
	if q.LowTraffic == "" {
		return LowTrafficExtend
	}
	return q.LowTraffic
}

func (q Sequential) maxExtension() time.Duration {
	if q.MaxExtension > 0 {
		return q.MaxExtension
	}
	return DefaultMaxExtension
}

// Decide turns a result into what the rollout does with a step that has run for
// elapsed out of its bake: Fail (roll back) as soon as the evidence says so, whatever
// the time; Pass (advance) when the bake is over and the minimum sample is met;
// otherwise Inconclusive (keep observing), unless the minimum-sample rule ends the
// step with Fail. The reason says which rule decided.
func (q Sequential) Decide(r SeqResult, elapsed, bake time.Duration) (Outcome, string) {
	switch {
	case r.Outcome == Fail:
		return Fail, r.Reason
	case elapsed < bake:
		return Inconclusive, fmt.Sprintf("baking %s of %s; %s", elapsed.Round(time.Second), bake, r.Reason)
	case r.Outcome == Pass:
		return Pass, r.Reason
	}
	short := fmt.Sprintf("%.0f of %.0f candidate requests after %s", r.StepRequests, r.MinRequests, elapsed.Round(time.Second))
	switch q.lowTraffic() {
	case LowTrafficWait:
		return Inconclusive, "waiting for traffic: " + short
	case LowTrafficFail:
		return Fail, "not enough traffic: " + short
	}
	limit := bake + q.maxExtension()
	if elapsed < limit {
		return Inconclusive, fmt.Sprintf("bake extended up to %s for traffic: %s", limit, short)
	}
	return Fail, fmt.Sprintf("not enough traffic after extending the bake to %s: %s", limit, short)
}
