package analysis

import (
	"strings"
	"testing"
	"time"
)

func TestDecide(t *testing.T) {
	pass := SeqResult{Outcome: Pass, Reason: "no regression", StepRequests: 120, MinRequests: 100}
	fail := SeqResult{Outcome: Fail, Reason: "candidate worse than stable"}
	low := SeqResult{Outcome: Inconclusive, Reason: "40 of 100", StepRequests: 40, MinRequests: 100}
	min := time.Minute
	tests := []struct {
		name    string
		q       Sequential
		r       SeqResult
		elapsed time.Duration
		want    Outcome
		reason  string
	}{
		{"evidence fails at once, bake or not", Sequential{}, fail, time.Second, Fail, "worse than stable"},
		{"pass waits for the bake", Sequential{}, pass, 30 * time.Second, Inconclusive, "baking 30s of 1m0s"},
		{"pass after the bake", Sequential{}, pass, min, Pass, "no regression"},
		{"low traffic waits", Sequential{LowTraffic: LowTrafficWait}, low, 3 * time.Hour, Inconclusive, "waiting for traffic: 40 of 100"},
		{"low traffic fails", Sequential{LowTraffic: LowTrafficFail}, low, min, Fail, "not enough traffic: 40 of 100"},
		{"default extends", Sequential{}, low, 5 * min, Inconclusive, "extended up to 11m0s"},
		{"extension has a bound", Sequential{}, low, 11 * min, Fail, "after extending the bake to 11m0s"},
		{"extension bound is a setting", Sequential{LowTraffic: LowTrafficExtend, MaxExtension: min}, low, 2 * min, Fail, "to 2m0s"},
	}
	for _, tt := range tests {
		got, reason := tt.q.Decide(tt.r, tt.elapsed, min)
		if got != tt.want || !strings.Contains(reason, tt.reason) {
			t.Errorf("%s: Decide = %s %q, want %s mentioning %q", tt.name, got, reason, tt.want, tt.reason)
		}
	}
}
