package incident_test

import (
	"context"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/store"
)

// storyJournal writes what Slipway journals for the story's bad canary, in the
// shapes the rollout controller writes: 1.12.0 deployed to dev and staging, then a
// 5% canary in prod read every second; the first failed request is counted at
// 10:00:06, the sequential test decides at 10:00:08 and traffic is back on 1.11.3
// at 10:00:08.2. It returns the rollout.rolledback event.
func storyJournal(t *testing.T, s *store.Store) store.Event {
	t.Helper()
	ctx := store.WithActor(context.Background(), store.Actor{Name: "ana", Via: "cli"})
	ev := func(kind string, ts time.Time, msg string, data map[string]any) store.Event {
		return store.Event{Kind: kind, Time: ts, Service: "contract-api", Env: "prod", Version: "1.12.0",
			Digest: "sha256:4f1c", Rollout: "ro-3", Message: msg, Data: data}
	}
	events := []store.Event{
		{Kind: "artifact.built", Time: at(9, 40, 0), Service: "contract-api", Version: "1.12.0", Message: "built 1.12.0"},
		{Kind: "deploy.finished", Time: at(9, 45, 0), Service: "contract-api", Env: "dev", Version: "1.12.0",
			Message: "contract-api 1.12.0 serves 100% of dev", Data: map[string]any{"outcome": "deployed", "previous": "1.11.3"}},
		{Kind: "deploy.finished", Time: at(9, 46, 0), Service: "contract-api", Env: "staging", Version: "1.12.0",
			Message: "contract-api 1.12.0 serves 100% of staging", Data: map[string]any{"outcome": "deployed", "previous": "1.11.3"}},
		ev("rollout.started", at(10, 0, 0), "rollout ro-3: 1.11.3 -> 1.12.0 in prod (standard: steps [5 25 50 100], bake 10s)", map[string]any{
			"from_version": "1.11.3", "to_version": "1.12.0", "steps": []int{5, 25, 50, 100}, "profile": "standard", "bake_s": 10, "min_requests": 120,
			"checks": []map[string]any{
				{"metric": "error-rate", "max": 0.01},
				{"metric": "latency-p95", "max": 0.25, "vs_stable": 2},
				{"metric": "critical-logs", "max": 0, "no_max": true, "vs_stable": 3},
				{"metric": "memory", "max": 268435456},
			}}),
		ev("rollout.step", at(10, 0, 0).Add(200*time.Millisecond), "contract-api 1.12.0 takes 5% of traffic in prod", map[string]any{"weight": 5, "step": 1, "of": 4}),
		{Kind: "rollout.step", Time: at(10, 0, 2), Service: "billing", Env: "prod", Version: "2.0.0", Rollout: "ro-4",
			Message: "billing 2.0.0 takes 5% of traffic in prod", Data: map[string]any{"weight": 5}},
	}
	// requests and errors of the candidate, and the stable's requests, at each reading
	type reading struct{ requests, errors, stable float64 }
	readings := []reading{{13, 0, 250}, {28, 0, 520}, {44, 0, 790}, {53, 0, 1010}, {62, 0, 1240}, {72, 1, 1390}, {82, 1, 1620}, {95, 2, 1856}}
	evalues := []float64{0.985, 0.981, 0.979, 0.978, 0.977, 11.18, 11.1, 182.84}
	for i, r := range readings {
		last := i == len(readings)-1
		verdict, outcome, reason := "continue", "inconclusive", "baking; not enough evidence yet"
		if last {
			verdict, outcome = "rollback", "fail"
			reason = "candidate worse than stable: e-value 182.8 >= 100 (alpha 0.01) after 8 observations; errors 2/95 (2.11%) on the candidate vs 0/1856 (0.00%) on the stable"
		}
		events = append(events, ev("rollout.verdict", at(10, 0, 1+i), "5% reading", map[string]any{
			"verdict": verdict, "outcome": outcome, "reason": reason, "weight": 5, "elapsed_s": float64(i + 1), "min_requests": 120,
			"checks": storyChecks(r.requests, r.errors, r.stable, evalues[i], last),
			"failing_routes": func() any {
				if r.errors == 0 {
					return nil
				}
				return []map[string]any{{"route": "POST /v1/contracts/validate", "requests": r.requests, "errors": r.errors}}
			}(),
		}))
	}
	final := storyChecks(95, 2, 1856, 182.84, true)
	events = append(events, ev("rollout.rolledback", at(10, 0, 8).Add(200*time.Millisecond), "rolled back contract-api 1.12.0 in prod", map[string]any{
		"verdict": "rollback", "outcome": "fail", "reason": "candidate worse than stable: e-value 182.8 >= 100 (alpha 0.01)",
		"checks": final, "weight": 0, "stable_version": "1.11.3", "candidate_errors": 2,
		"failing_routes": []map[string]any{{"route": "POST /v1/contracts/validate", "requests": 95, "errors": 2}}}))
	var out []store.Event
	for _, e := range events {
		got, err := s.Append(ctx, e)
		if err != nil {
			t.Fatalf("append %s: %v", e.Kind, err)
		}
		out = append(out, got)
	}
	return out[len(out)-1]
}

// storyChecks is one reading's checks as the rollout controller records them.
func storyChecks(requests, errors, stable, evalue float64, decided bool) []map[string]any {
	outcome := "inconclusive"
	failed := outcome
	if decided {
		failed = "fail"
	}
	return []map[string]any{
		{"metric": "error-rate", "value": errors / requests, "threshold": 0.01, "samples": requests, "errors": errors, "passed": !decided, "outcome": failed},
		{"metric": "latency-p95", "value": 0.0023, "threshold": 0.25, "samples": requests, "errors": errors, "passed": false, "outcome": outcome,
			"stable": 0.00099, "stable_bound": 0.05},
		{"metric": "critical-logs", "value": errors, "threshold": 0, "samples": requests, "errors": errors, "passed": false, "outcome": outcome,
			"stable_bound": 3},
		{"metric": "memory", "value": 7340032, "threshold": 268435456, "samples": requests, "errors": errors, "passed": false, "outcome": outcome},
		{"metric": "sequential", "value": evalue, "threshold": 100, "samples": requests, "errors": errors, "passed": !decided, "outcome": failed,
			"stable_requests": stable, "stable_errors": 0},
	}
}

// fixRollout journals the fix: 1.12.1 released on the hotfix path and promoted in
// prod through a canary of its own.
func fixRollout(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := store.WithActor(context.Background(), store.Actor{Name: "ana", Via: "cli"})
	ev := func(kind string, ts time.Time, msg string, data map[string]any) store.Event {
		return store.Event{Kind: kind, Time: ts, Service: "contract-api", Env: "prod", Version: "1.12.1", Rollout: "ro-5", Message: msg, Data: data}
	}
	for _, e := range []store.Event{
		{Kind: "release.created", Time: at(11, 16, 0), Service: "contract-api", Version: "1.12.1", Message: "contract-api 1.12.1 released (hotfix)",
			Data: map[string]any{"hotfix": true, "bump": "patch"}},
		ev("rollout.started", at(11, 40, 0), "rollout ro-5: 1.11.3 -> 1.12.1 in prod", map[string]any{
			"from_version": "1.11.3", "to_version": "1.12.1", "steps": []int{1, 5, 25, 100}, "profile": "hotfix"}),
		ev("rollout.promoted", at(11, 52, 0), "promoted contract-api 1.12.1 in prod", map[string]any{"verdict": "promote", "weight": 100, "candidate_errors": 0}),
	} {
		if _, err := s.Append(ctx, e); err != nil {
			t.Fatalf("append %s: %v", e.Kind, err)
		}
	}
}
