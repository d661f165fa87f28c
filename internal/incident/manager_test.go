package incident_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/notify"
	"github.com/slipway/slipway/internal/store"
)

func storyIncident() incident.Incident {
	return incident.Incident{
		ID: "INC-1", Service: "contract-api", Env: "prod",
		Title:     "Canary degradation: contract-api 1.12.0 rolled back in prod",
		Status:    incident.Mitigated,
		Severity:  notify.SeverityCritical,
		Channel:   "#incident-contract-api-2026-11-26",
		StartedAt: at(10, 7, 31), DetectedAt: at(10, 7, 31),
		OpenedAt: at(10, 7, 33), MitigatedAt: at(10, 7, 31),
		AffectedVersion: "1.12.0", StableVersion: "1.11.3", Rollout: "ro-3",
		Metrics: []incident.Metric{
			{Name: "error_rate", Value: 0.0833, Threshold: 0.01, Samples: 1200, Errors: 100},
			{Name: "latency_p95", Value: 0.41, Threshold: 0.3, Samples: 1200},
		},
		Reason:           "error_rate 0.0833 > 0.01 | latency_p95 0.41 > 0.3",
		RollbackExecuted: true,
		Summary:          "contract-api 1.12.0 rolled back to 1.11.3 in prod: error_rate 0.0833 > 0.01, latency_p95 0.41 > 0.3",
		Updates: []incident.Update{{At: at(10, 7, 31), By: "slipway", Status: incident.Mitigated,
			Text: "Rolled 1.12.0 back: 100% of traffic on 1.11.3."}},
	}
}

func kinds(t *testing.T, s *store.Store, f store.Filter) []string {
	t.Helper()
	events, err := s.Events(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range events {
		out = append(out, e.Kind)
	}
	return out
}

func TestOpenFromRollback(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	rolledBack := storyRollout(t, s)
	now := at(10, 7, 33)
	box := &inbox{}
	m := storyManager(t, s, box, &now)

	rb, err := incident.RollbackFromEvent(rolledBack)
	if err != nil {
		t.Fatalf("RollbackFromEvent() = %v", err)
	}
	inc, err := m.OpenFromRollback(ctx, rb)
	if err != nil {
		t.Fatalf("OpenFromRollback() = %v", err)
	}
	want := storyIncident()
	if diff := cmp.Diff(want, inc); diff != "" {
		t.Errorf("OpenFromRollback() (-want +got):\n%s", diff)
	}
	stored, err := m.Get(ctx, "INC-1")
	if err != nil {
		t.Fatalf("Get(INC-1) = %v", err)
	}
	if diff := cmp.Diff(want, stored); diff != "" {
		t.Errorf("Get(INC-1) (-want +got):\n%s", diff)
	}
	gotKinds := kinds(t, s, store.Filter{Incident: "INC-1"})
	if diff := cmp.Diff([]string{incident.EventOpened, incident.EventMitigated, incident.EventAnnounced}, gotKinds); diff != "" {
		t.Errorf("journal of INC-1 (-want +got):\n%s", diff)
	}

	msgs := box.messages()
	if len(msgs) != 1 {
		t.Fatalf("notifier got %d messages, want 1", len(msgs))
	}
	wantMsg := notify.Message{
		Kind: notify.KindIncident, Severity: notify.SeverityCritical, Title: "Canary degradation detected",
		Text:    "Incident INC-1: " + want.Summary + ". Traffic has been on 1.11.3 since 10:07:31 UTC; the system is stable.",
		Service: "contract-api", Env: "prod", Version: "1.12.0", Incident: "INC-1",
		Channel: "#incident-contract-api-2026-11-26",
		Fields: []notify.Field{
			{Name: "Status", Value: "mitigated since 10:07:31 UTC"},
			{Name: "Severity", Value: "critical"},
			{Name: "Started", Value: "2026-11-26 10:07:31 UTC"},
			{Name: "Affected version", Value: "1.12.0"},
			{Name: "Rollback", Value: "executed at 10:07:31 UTC, 100% of traffic on 1.11.3"},
			{Name: "error_rate", Value: "0.0833 > 0.01 (100 errors in 1200 requests)"},
			{Name: "latency_p95", Value: "0.41 > 0.3 (1200 requests)"},
		},
		Time: at(10, 7, 33),
	}
	if diff := cmp.Diff(wantMsg, msgs[0]); diff != "" {
		t.Errorf("announcement (-want +got):\n%s", diff)
	}
}

func TestOpenFromRollbackIsIdempotentPerRollout(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	now := at(10, 7, 33)
	box := &inbox{}
	m := storyManager(t, s, box, &now)
	rb := incident.Rollback{Service: "contract-api", Env: "prod", Rollout: "ro-3", AffectedVersion: "1.12.0",
		StableVersion: "1.11.3", Reason: "error rate above SLO", RolledBackAt: at(10, 7, 31)}

	first, err := m.OpenFromRollback(ctx, rb)
	if err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute)
	again, err := m.OpenFromRollback(ctx, rb)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("second OpenFromRollback returned another incident (-first +second):\n%s", diff)
	}
	if n := len(box.messages()); n != 1 {
		t.Errorf("announced %d times, want once", n)
	}
	if diff := cmp.Diff([]string{incident.EventOpened, incident.EventMitigated, incident.EventAnnounced},
		kinds(t, s, store.Filter{Incident: first.ID})); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}

	other := rb
	other.Rollout, other.Env = "ro-9", "staging"
	second, err := m.OpenFromRollback(ctx, other)
	if err != nil {
		t.Fatal(err)
	}
	if second.ID != "INC-2" || second.Severity != notify.SeverityWarning {
		t.Errorf("incident for another rollout = %s (%s), want INC-2 (warning outside prod)", second.ID, second.Severity)
	}
	all, err := m.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, inc := range all {
		ids = append(ids, inc.ID)
	}
	if diff := cmp.Diff([]string{"INC-1", "INC-2"}, ids); diff != "" {
		t.Errorf("List() ids (-want +got):\n%s", diff)
	}
}

func TestOpenFromRollbackConcurrent(t *testing.T) {
	s := openStore(t)
	now := at(10, 7, 33)
	box := &inbox{}
	m := storyManager(t, s, box, &now)
	rb := incident.Rollback{Service: "contract-api", Env: "prod", Rollout: "ro-3", AffectedVersion: "1.12.0"}
	var wg sync.WaitGroup
	ids := make([]string, 6)
	for i := range ids {
		wg.Go(func() {
			inc, err := m.OpenFromRollback(context.Background(), rb)
			if err != nil {
				t.Errorf("OpenFromRollback() = %v", err)
			}
			ids[i] = inc.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != "INC-1" {
			t.Errorf("concurrent calls opened %v, want INC-1 every time", ids)
			break
		}
	}
	if n := len(box.messages()); n != 1 {
		t.Errorf("announced %d times, want once", n)
	}
}

func TestOpenFromRollbackRetriesFailedAnnouncement(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	now := at(10, 7, 33)
	box := &inbox{failures: 1}
	m := storyManager(t, s, box, &now)
	rb := incident.Rollback{Service: "contract-api", Env: "prod", Rollout: "ro-3", AffectedVersion: "1.12.0", StableVersion: "1.11.3"}

	inc, err := m.OpenFromRollback(ctx, rb)
	if err == nil || !strings.Contains(err.Error(), "announce incident INC-1") {
		t.Fatalf("OpenFromRollback() with a failing notifier = %v, want an announce error", err)
	}
	if inc.ID != "INC-1" {
		t.Errorf("failed announcement returned incident %q, want INC-1 (it is persisted)", inc.ID)
	}
	if diff := cmp.Diff([]string{incident.EventOpened, incident.EventMitigated}, kinds(t, s, store.Filter{Incident: "INC-1"})); diff != "" {
		t.Errorf("journal after failed announcement (-want +got):\n%s", diff)
	}
	if _, err := m.OpenFromRollback(ctx, rb); err != nil {
		t.Fatalf("retry OpenFromRollback() = %v", err)
	}
	if n := len(box.messages()); n != 1 {
		t.Errorf("announced %d times after retry, want 1", n)
	}
	if diff := cmp.Diff([]string{incident.EventOpened, incident.EventMitigated, incident.EventAnnounced},
		kinds(t, s, store.Filter{Incident: "INC-1"})); diff != "" {
		t.Errorf("journal after retry (-want +got):\n%s", diff)
	}
}

// A crash after the rollout index was written but before the incident was leaves
// the index alone; the next call rebuilds the incident under the reserved id.
func TestOpenFromRollbackResumesAfterCrash(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	if err := s.Put(ctx, "incident.rollout", "ro-3", map[string]string{"incident": "INC-5"}); err != nil {
		t.Fatal(err)
	}
	now := at(10, 7, 33)
	m := storyManager(t, s, &inbox{}, &now)
	rb := incident.Rollback{Service: "contract-api", Env: "prod", Rollout: "ro-3", AffectedVersion: "1.12.0"}
	inc, err := m.OpenFromRollback(ctx, rb)
	if err != nil {
		t.Fatal(err)
	}
	if inc.ID != "INC-5" {
		t.Errorf("OpenFromRollback() after a crash opened %s, want the reserved INC-5", inc.ID)
	}
	if _, err := m.Get(ctx, "INC-5"); err != nil {
		t.Errorf("Get(INC-5) = %v", err)
	}
}

func TestOpenFromRollbackRejectsIncompleteReport(t *testing.T) {
	full := incident.Rollback{Service: "contract-api", Env: "prod", Rollout: "ro-3", AffectedVersion: "1.12.0"}
	tests := []struct {
		name string
		edit func(*incident.Rollback)
		want string
	}{
		{name: "no service", edit: func(rb *incident.Rollback) { rb.Service = "" }, want: "lacks service"},
		{name: "no rollout or version", edit: func(rb *incident.Rollback) { rb.Rollout, rb.AffectedVersion = "", " " }, want: "lacks rollout, affected version"},
		{name: "no env", edit: func(rb *incident.Rollback) { rb.Env = "" }, want: "lacks env"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			now := at(10, 0, 0)
			m := storyManager(t, s, &inbox{}, &now)
			rb := full
			tt.edit(&rb)
			_, err := m.OpenFromRollback(context.Background(), rb)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("OpenFromRollback() = %v, want error containing %q", err, tt.want)
			}
			if all, _ := m.List(context.Background()); len(all) != 0 {
				t.Errorf("a rejected report left %d incidents", len(all))
			}
		})
	}
}

func TestGetUnknown(t *testing.T) {
	now := at(10, 0, 0)
	m := storyManager(t, openStore(t), nil, &now)
	if _, err := m.Get(context.Background(), "INC-404"); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("Get(INC-404) = %v, want ErrNotFound", err)
	}
	if _, err := m.Get(context.Background(), ""); err == nil {
		t.Error("Get(\"\") = nil error, want one")
	}
	if _, err := m.Resolve(context.Background(), "INC-404", incident.Resolution{Note: "done"}); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("Resolve(INC-404) = %v, want ErrNotFound", err)
	}
	if _, err := m.PostMortem(context.Background(), "INC-404", incident.Sources{}); !errors.Is(err, incident.ErrNotFound) {
		t.Errorf("PostMortem(INC-404) = %v, want ErrNotFound", err)
	}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	now := at(10, 7, 33)
	box := &inbox{}
	m := storyManager(t, s, box, &now)
	rb := incident.Rollback{Service: "contract-api", Env: "prod", Rollout: "ro-3", AffectedVersion: "1.12.0", StableVersion: "1.11.3"}
	if _, err := m.OpenFromRollback(ctx, rb); err != nil {
		t.Fatal(err)
	}
	now = at(12, 10, 0)
	inc, err := m.Resolve(ctx, "INC-1", incident.Resolution{Note: " fixed in 1.12.1 "})
	if err != nil {
		t.Fatalf("Resolve() = %v", err)
	}
	if inc.Status != incident.Resolved || !inc.ResolvedAt.Equal(now) || inc.Resolution != "fixed in 1.12.1" {
		t.Errorf("Resolve() = status %s at %s note %q, want resolved at %s note %q", inc.Status, inc.ResolvedAt, inc.Resolution, now, "fixed in 1.12.1")
	}
	stored, err := m.Get(ctx, "INC-1")
	if err != nil || stored.Status != incident.Resolved {
		t.Errorf("Get after Resolve = %v, %v, want resolved", stored.Status, err)
	}
	events, err := s.Events(ctx, store.Filter{Incident: "INC-1", Kinds: []string{incident.EventResolved}})
	if err != nil || len(events) != 1 {
		t.Fatalf("incident.resolved events = %v, %v, want one", events, err)
	}
	if want := "incident INC-1 resolved after 2h2m27s: fixed in 1.12.1"; events[0].Message != want {
		t.Errorf("resolved event message = %q, want %q", events[0].Message, want)
	}
	msgs := box.messages()
	if last := msgs[len(msgs)-1]; last.Title != "Incident INC-1 resolved" || last.Channel != "#incident-contract-api-2026-11-26" {
		t.Errorf("resolution announcement = %+v", last)
	}
	if _, err := m.Resolve(ctx, "INC-1", incident.Resolution{Note: "again"}); !errors.Is(err, incident.ErrResolved) {
		t.Errorf("second Resolve() = %v, want ErrResolved", err)
	}
}

func TestChannelName(t *testing.T) {
	day := time.Date(2026, 2, 5, 23, 30, 0, 0, time.FixedZone("PST", -8*3600)) // 2026-02-06 in UTC
	tests := []struct {
		service, want string
	}{
		{"contract-api", "#incident-contract-api-2026-02-06"},
		{"Contract API.v2", "#incident-contract-api-v2-2026-02-06"},
		{"--édge__case--", "#incident-dge__case-2026-02-06"},
		{strings.Repeat("a", 100), "#incident-" + strings.Repeat("a", 60) + "-2026-02-06"},
	}
	for _, tt := range tests {
		got := incident.ChannelName(tt.service, day)
		if got != tt.want {
			t.Errorf("ChannelName(%q) = %q, want %q", tt.service, got, tt.want)
		}
		if len(got)-1 > 80 {
			t.Errorf("ChannelName(%q) has %d characters, Slack allows 80", tt.service, len(got)-1)
		}
	}
}

func TestRollbackFromEvent(t *testing.T) {
	passed := map[string]any{"metric": "latency_p95", "value": 0.1, "threshold": 0.3, "samples": 50, "passed": true}
	failed := map[string]any{"metric": "error_rate", "value": 0.2, "threshold": 0.01, "samples": 50, "errors": 10, "passed": false}
	base := store.Event{ID: 7, Kind: "rollout.rolledback", Time: at(10, 8, 0), Service: "contract-api", Env: "prod",
		Version: "1.12.0", Rollout: "ro-3"}
	tests := []struct {
		name    string
		data    map[string]any
		kind    string
		want    incident.Rollback
		wantErr string
	}{
		{
			name: "failed checks become metrics",
			data: map[string]any{"reason": "error_rate 0.2 > 0.01", "stable_version": "1.11.3", "checks": []any{passed, failed}},
			want: incident.Rollback{Service: "contract-api", Env: "prod", Rollout: "ro-3", AffectedVersion: "1.12.0",
				StableVersion: "1.11.3", Reason: "error_rate 0.2 > 0.01", RolledBackAt: at(10, 8, 0),
				Metrics: []incident.Metric{{Name: "error_rate", Value: 0.2, Threshold: 0.01, Samples: 50, Errors: 10}}},
		},
		{
			name: "no data: metrics unavailable",
			data: nil,
			want: incident.Rollback{Service: "contract-api", Env: "prod", Rollout: "ro-3", AffectedVersion: "1.12.0", RolledBackAt: at(10, 8, 0)},
		},
		{name: "wrong kind", kind: "rollout.promoted", wantErr: "want rollout.rolledback"},
		{name: "checks not a list", data: map[string]any{"checks": "oops"}, wantErr: "does not have the rollout shape"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := base
			e.Data = tt.data
			if tt.kind != "" {
				e.Kind = tt.kind
			}
			got, err := incident.RollbackFromEvent(e)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("RollbackFromEvent() = %v, want error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("RollbackFromEvent() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOpenForRollout(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	rolledBack := storyRollout(t, s)
	now := at(10, 8, 0)
	m := storyManager(t, s, nil, &now)
	inc, err := m.OpenForRollout(ctx, rolledBack.Rollout)
	if err != nil {
		t.Fatal(err)
	}
	if inc.AffectedVersion != "1.12.0" || inc.StableVersion != "1.11.3" || inc.Rollout != "ro-3" || len(inc.Metrics) != 2 {
		t.Errorf("incident = %+v, want 1.12.0 over 1.11.3 from ro-3 with the two failed checks", inc)
	}
	again, err := m.OpenForRollout(ctx, rolledBack.Rollout)
	if err != nil || again.ID != inc.ID {
		t.Errorf("second open = %s (%v), want the same %s", again.ID, err, inc.ID)
	}
	if _, err := m.OpenForRollout(ctx, "ro-404"); err == nil {
		t.Errorf("open for a rollout without a rollback succeeded")
	}
}
