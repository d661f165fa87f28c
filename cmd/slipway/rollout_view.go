package main

import (
	"time"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/rollout"
)

// rolloutDetail is `slipway rollout status ID -o json`: the rollout with the
// evidence behind its last verdict, in snake_case keys.
type rolloutDetail struct {
	ID        string          `json:"id"`
	Service   string          `json:"service"`
	Env       string          `json:"env"`
	Profile   string          `json:"profile,omitempty"`
	Stable    rollout.Release `json:"stable"`
	Candidate rollout.Release `json:"candidate"`
	// Baseline is the fresh stable instances the candidate is judged against, when
	// the rollout runs them; ComparedWith is "baseline" or "stable".
	Baseline     *rollout.Release                `json:"baseline,omitempty"`
	ComparedWith string                          `json:"compared_with"`
	Phase        rollout.Phase                   `json:"phase"`
	Step         int                             `json:"step"`
	Steps        []int                           `json:"steps"`
	Weight       int                             `json:"weight"`
	BakeMS       int64                           `json:"bake_ms"`
	IntervalMS   int64                           `json:"interval_ms"`
	Reason       string                          `json:"reason,omitempty"`
	Verdict      analysis.Verdict                `json:"verdict"`
	Sequential   analysis.SeqResult              `json:"sequential"`
	Criteria     analysis.Criteria               `json:"criteria"`
	Routes       map[string]analysis.RouteCounts `json:"routes,omitempty"`
	Failing      []rollout.RouteErrors           `json:"failing_routes,omitempty"`
	Errors       float64                         `json:"candidate_errors"`
	StartedAt    time.Time                       `json:"started_at,omitzero"`
	FinishedAt   time.Time                       `json:"finished_at,omitzero"`
}

func newRolloutDetail(r *rollout.Rollout) rolloutDetail {
	steps := r.Steps
	if steps == nil {
		steps = []int{}
	}
	var base *rollout.Release
	compared := "stable"
	if r.HasBaseline() {
		base, compared = &r.Baseline, "baseline"
	}
	return rolloutDetail{Baseline: base, ComparedWith: compared, ID: r.ID, Service: r.Service, Env: r.Env, Profile: r.Profile, Stable: r.Stable, Candidate: r.Candidate,
		Phase: r.Phase, Step: r.Step, Steps: steps, Weight: r.Weight, BakeMS: r.Bake.Milliseconds(), IntervalMS: r.Interval.Milliseconds(),
		Reason: r.Reason, Verdict: r.Last, Sequential: r.LastSeq, Criteria: r.Criteria, Routes: r.Routes,
		Failing: rollout.FailingRoutes(r.Routes), Errors: r.CandidateErrors, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt}
}

// rolloutRow is one line of `slipway rollout status -o json`.
type rolloutRow struct {
	ID        string        `json:"id"`
	Service   string        `json:"service"`
	Env       string        `json:"env"`
	Stable    string        `json:"stable"`
	Candidate string        `json:"candidate"`
	Profile   string        `json:"profile,omitempty"`
	Phase     rollout.Phase `json:"phase"`
	Weight    int           `json:"weight"`
	StartedAt time.Time     `json:"started_at,omitzero"`
}
