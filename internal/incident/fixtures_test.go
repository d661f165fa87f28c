package incident_test

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/notify"
	"github.com/slipway/slipway/internal/store"
)

// at is a time on the day of the story, UTC.
func at(hh, mm, ss int) time.Time {
	return time.Date(2026, 11, 26, hh, mm, ss, 0, time.UTC)
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "slipway.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// inbox is a notifier that keeps messages and fails while failures > 0.
type inbox struct {
	mu       sync.Mutex
	msgs     []notify.Message
	failures int
}

func (b *inbox) Notify(_ context.Context, m notify.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failures > 0 {
		b.failures--
		return errors.New("webhook hooks.example.com: endpoint answered 503 Service Unavailable")
	}
	b.msgs = append(b.msgs, m)
	return nil
}

func (b *inbox) messages() []notify.Message {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]notify.Message(nil), b.msgs...)
}

func appendAll(t *testing.T, s *store.Store, events []store.Event) []store.Event {
	t.Helper()
	var out []store.Event
	for _, e := range events {
		got, err := s.Append(context.Background(), e)
		if err != nil {
			t.Fatalf("append %s: %v", e.Kind, err)
		}
		out = append(out, got)
	}
	return out
}

// storyRollout writes to the journal what the rollout controller writes for the
// story's bad canary: 1.12.0 at 5%, green at first, then 500s, then rollback. It
// returns the rollout.rolledback event.
func storyRollout(t *testing.T, s *store.Store) store.Event {
	t.Helper()
	ev := func(kind string, ts time.Time, msg string, data map[string]any) store.Event {
		return store.Event{Kind: kind, Time: ts, Service: "contract-api", Env: "prod", Version: "1.12.0",
			Digest: "sha256:4f1c", Rollout: "ro-3", Message: msg, Data: data}
	}
	healthy := []map[string]any{
		{"metric": "error_rate", "value": 0.0017, "threshold": 0.01, "samples": 600, "errors": 1, "passed": true, "outcome": "pass"},
		{"metric": "latency_p95", "value": 0.182, "threshold": 0.3, "samples": 600, "errors": 0, "passed": true, "outcome": "pass"},
	}
	failing := []map[string]any{
		{"metric": "error_rate", "value": 0.0833, "threshold": 0.01, "samples": 1200, "errors": 100, "passed": false, "outcome": "fail"},
		{"metric": "latency_p95", "value": 0.41, "threshold": 0.3, "samples": 1200, "errors": 0, "passed": false, "outcome": "fail"},
	}
	events := appendAll(t, s, []store.Event{
		{Kind: "artifact.built", Time: at(9, 40, 0), Service: "contract-api", Version: "1.12.0", Message: "built 1.12.0"},
		ev("rollout.started", at(10, 0, 0), "rollout ro-3: 1.11.3 -> 1.12.0 in prod", map[string]any{
			"from_version": "1.11.3", "to_version": "1.12.0", "steps": []int{5, 25, 50, 100}, "profile": "standard"}),
		ev("rollout.step", at(10, 0, 1), "contract-api 1.12.0 takes 5% of traffic in prod", map[string]any{"weight": 5, "step": 1, "of": 4}),
		{Kind: "rollout.step", Time: at(10, 2, 0), Service: "billing", Env: "prod", Version: "2.0.0", Rollout: "ro-4",
			Message: "billing 2.0.0 takes 5% of traffic in prod", Data: map[string]any{"weight": 5}},
		ev("rollout.verdict", at(10, 5, 0), "5% after 5m0s: pass", map[string]any{
			"verdict": "continue", "outcome": "pass", "reason": "all checks pass", "checks": healthy, "weight": 5}),
		ev("rollout.verdict", at(10, 7, 30), "5% after 7m30s: fail", map[string]any{
			"verdict": "rollback", "outcome": "fail", "reason": "error_rate 0.0833 > 0.01 | latency_p95 0.41 > 0.3",
			"checks": failing, "weight": 5}),
		ev("rollout.rolledback", at(10, 7, 31), "rolled back contract-api 1.12.0 in prod", map[string]any{
			"verdict": "rollback", "reason": "error_rate 0.0833 > 0.01 | latency_p95 0.41 > 0.3", "checks": failing,
			"weight": 0, "stable_version": "1.11.3", "candidate_errors": 104}),
	})
	return events[len(events)-1]
}

func storyManager(t *testing.T, s *store.Store, n incident.Notifier, now *time.Time) *incident.Manager {
	t.Helper()
	return &incident.Manager{Store: s, Notifier: n, Now: func() time.Time { return *now }}
}
