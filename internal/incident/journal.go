package incident

import (
	"encoding/json"
	"fmt"

	"github.com/slipway/slipway/internal/store"
)

// eventData is the union of the Data keys the rollout controller writes on
// rollout.* events. Unknown keys are ignored, missing ones stay zero.
type eventData struct {
	// rollout.started
	FromVersion string    `json:"from_version"`
	ToVersion   string    `json:"to_version"`
	Steps       []float64 `json:"steps"`
	Profile     string    `json:"profile"`
	// rollout.step, rollout.verdict, rollout.rolledback
	Weight *float64 `json:"weight"`
	// rollout.verdict, rollout.rolledback
	Verdict string  `json:"verdict"`
	Reason  string  `json:"reason"`
	Checks  []check `json:"checks"`
	// rollout.verdict, rollout.rolledback: the candidate's routes that served errors
	FailingRoutes []routeErrors `json:"failing_routes"`
	// rollout.rolledback
	StableVersion   string   `json:"stable_version"`
	CandidateErrors *float64 `json:"candidate_errors"`
	// incident.*
	Channel string `json:"channel"`
	Note    string `json:"note"`
}

// routeErrors is one route's errors on the candidate.
type routeErrors struct {
	Route    string  `json:"route"`
	Requests float64 `json:"requests"`
	Errors   float64 `json:"errors"`
}

// check is one metric evaluation of a verdict.
type check struct {
	Metric    string  `json:"metric"`
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	Samples   float64 `json:"samples"`
	Errors    float64 `json:"errors"`
	Passed    *bool   `json:"passed"`
	Outcome   string  `json:"outcome"`
}

// result is "pass", "fail", "inconclusive" or "" when the event does not say.
func (c check) result() string {
	if c.Outcome != "" {
		return c.Outcome
	}
	if c.Passed == nil {
		return ""
	}
	if *c.Passed {
		return "pass"
	}
	return "fail"
}

// decodeData reads e.Data into eventData. Data arrives as decoded JSON from the
// store or as the Go values the writer built; a JSON round trip handles both.
func decodeData(e store.Event) (eventData, error) { return decodeEvent[eventData](e) }

// decodeEvent reads e.Data into a T; a JSON round trip handles both the decoded
// map a store read gives and the struct a caller appended.
func decodeEvent[T any](e store.Event) (T, error) {
	var d T
	if len(e.Data) == 0 {
		return d, nil
	}
	raw, err := json.Marshal(e.Data)
	if err != nil {
		return d, fmt.Errorf("event %d (%s): encode data: %w", e.ID, e.Kind, err)
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return d, fmt.Errorf("event %d (%s): data does not have the rollout shape Slipway writes: %w", e.ID, e.Kind, err)
	}
	return d, nil
}

// verdictFailed reports whether a rollout.verdict event decided to roll back.
func (d eventData) verdictFailed() bool {
	if d.Verdict != "" {
		return d.Verdict == "rollback"
	}
	for _, c := range d.Checks {
		if c.result() == "fail" {
			return true
		}
	}
	return false
}
