package dora_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slipway/slipway/internal/dora"
	"github.com/slipway/slipway/internal/store"
)

var day0 = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

func at(days int, hours float64) time.Time {
	return day0.AddDate(0, 0, days).Add(time.Duration(hours * float64(time.Hour)))
}

// journal is a synthetic history: releases with their commits, deploys and incidents.
type journal struct {
	releases  []map[string]any // with "service"
	deploys   []store.Event
	incidents []map[string]any
}

func deployed(service, env, version, outcome string, t time.Time) store.Event {
	return store.Event{Kind: "deploy.finished", Time: t, Service: service, Env: env, Version: version,
		Message: service + " " + version + " " + outcome + " in " + env, Data: map[string]any{"outcome": outcome}}
}

func release(service, version string, commits ...time.Time) map[string]any {
	var cs []map[string]any
	for i, c := range commits {
		cs = append(cs, map[string]any{"hash": version + "-" + string(rune('a'+i)), "time": c})
	}
	return map[string]any{"service": service, "version": version, "commits": cs}
}

func open(t *testing.T, j journal) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, filepath.Join(t.TempDir(), "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for _, r := range j.releases {
		if err := s.Put(ctx, "release", r["service"].(string)+"/"+r["version"].(string), r); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range j.deploys {
		if _, err := s.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	for _, in := range j.incidents {
		if err := s.Put(ctx, "incident", in["id"].(string), in); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestMeasure(t *testing.T) {
	// The story: 1.11.3 adopted, 1.12.0 rolled back in prod and its incident, the
	// fix 1.12.1 promoted; and another service that never failed.
	story := journal{
		releases: []map[string]any{
			release("api", "1.11.3"),
			release("api", "1.12.0", at(0, 0), at(0, 1)),
			release("api", "1.12.1", at(1, 0.5)),
			release("billing", "2.0.0", at(2, 0)),
		},
		deploys: []store.Event{
			deployed("api", "staging", "1.11.3", "deployed", at(0, -1)),
			deployed("api", "prod", "1.11.3", "deployed", at(0, -1)),
			deployed("api", "staging", "1.12.0", "deployed", at(0, 2)),
			deployed("api", "prod", "1.12.0", "rolled-back", at(1, 0)),
			deployed("api", "staging", "1.12.1", "deployed", at(1, 1)),
			deployed("api", "prod", "1.12.1", "promoted", at(1, 2)),
			deployed("billing", "prod", "2.0.0", "promoted", at(2, 4)),
			deployed("api", "prod", "1.12.2", "paused", at(3, 0)),
		},
		incidents: []map[string]any{{"id": "INC-1", "service": "api", "env": "prod", "affected_version": "1.12.0",
			"started_at": at(1, 0).Add(-3 * time.Second), "opened_at": at(1, 0), "mitigated_at": at(1, 0).Add(2 * time.Second),
			"resolved_at": at(1, 2)}},
	}
	tests := []struct {
		name string
		j    journal
		o    dora.Options
		want []dora.Figures
	}{
		{
			name: "story in prod",
			j:    story,
			o:    dora.Options{Env: "prod", Since: at(0, -2), Until: at(7, -2)},
			want: []dora.Figures{
				{Service: "api", Env: "prod", Deployments: 2, Attempts: 3, PerDay: 2.0 / 7, PerWeek: 2,
					// 1.12.0's commits reached prod with 1.12.1: 26h and 25h; 1.12.1's own: 1.5h
					LeadTime: dora.Stat{N: 3, Median: 25 * time.Hour, P90: 26 * time.Hour},
					Failed:   1, FailedVersions: []string{"1.12.0"}, ChangeFailureRate: 1.0 / 3,
					TimeToRestore: dora.Stat{N: 1, Median: 5 * time.Second, P90: 5 * time.Second},
					TimeToResolve: dora.Stat{N: 1, Median: 2*time.Hour + 3*time.Second, P90: 2*time.Hour + 3*time.Second}},
				{Service: "billing", Env: "prod", Deployments: 1, Attempts: 1, PerDay: 1.0 / 7, PerWeek: 1,
					LeadTime: dora.Stat{N: 1, Median: 4 * time.Hour, P90: 4 * time.Hour}},
			},
		},
		{
			name: "one service, every environment",
			j:    story,
			o:    dora.Options{Service: "api", Since: at(0, -2), Until: at(7, -2)},
			want: []dora.Figures{
				{Service: "api", Env: "staging", Deployments: 3, Attempts: 3, PerDay: 3.0 / 7, PerWeek: 3,
					LeadTime: dora.Stat{N: 3, Median: time.Hour, P90: 2 * time.Hour}},
				{Service: "api", Env: "prod", Deployments: 2, Attempts: 3, PerDay: 2.0 / 7, PerWeek: 2,
					LeadTime: dora.Stat{N: 3, Median: 25 * time.Hour, P90: 26 * time.Hour},
					Failed:   1, FailedVersions: []string{"1.12.0"}, ChangeFailureRate: 1.0 / 3,
					TimeToRestore: dora.Stat{N: 1, Median: 5 * time.Second, P90: 5 * time.Second},
					TimeToResolve: dora.Stat{N: 1, Median: 2*time.Hour + 3*time.Second, P90: 2*time.Hour + 3*time.Second}},
			},
		},
		{
			name: "window after the incident",
			j:    story,
			o:    dora.Options{Env: "prod", Service: "api", Since: at(1, 1), Until: at(2, 1)},
			want: []dora.Figures{{Service: "api", Env: "prod", Deployments: 1, Attempts: 1, PerDay: 1, PerWeek: 7,
				LeadTime: dora.Stat{N: 3, Median: 25 * time.Hour, P90: 26 * time.Hour}}},
		},
		{
			name: "promoted, then an incident names it",
			j: journal{
				releases: []map[string]any{release("web", "3.1.0", at(0, 0))},
				deploys:  []store.Event{deployed("web", "prod", "3.1.0", "promoted", at(0, 1))},
				incidents: []map[string]any{{"id": "INC-7", "service": "web", "env": "prod", "affected_version": "3.1.0",
					"opened_at": at(0, 5), "stabilized_at": at(0, 5.5)}},
			},
			o: dora.Options{Since: at(0, 0), Until: at(1, 0)},
			want: []dora.Figures{{Service: "web", Env: "prod", Deployments: 1, Attempts: 1, PerDay: 1, PerWeek: 7,
				LeadTime: dora.Stat{N: 1, Median: time.Hour, P90: time.Hour},
				Failed:   1, FailedVersions: []string{"3.1.0"}, ChangeFailureRate: 1,
				TimeToRestore: dora.Stat{N: 1, Median: 30 * time.Minute, P90: 30 * time.Minute}}},
		},
		{
			name: "time to restore from the last reading before the first that counted an error",
			j: journal{
				releases: []map[string]any{release("web", "3.2.0", at(0, 0))},
				deploys: []store.Event{
					{Kind: "rollout.verdict", Time: at(0, 1), Service: "web", Env: "prod", Version: "3.2.0", Rollout: "ro-4",
						Data: map[string]any{"verdict": "continue", "checks": []map[string]any{{"metric": "error-rate", "errors": 0}}}},
					{Kind: "rollout.verdict", Time: at(0, 1).Add(5 * time.Second), Service: "web", Env: "prod", Version: "3.2.0", Rollout: "ro-4",
						Data: map[string]any{"verdict": "continue", "checks": []map[string]any{{"metric": "error-rate", "errors": 1}}}},
					deployed("web", "prod", "3.2.0", "rolled-back", at(0, 1).Add(20*time.Second)),
				},
				incidents: []map[string]any{{"id": "INC-8", "service": "web", "env": "prod", "affected_version": "3.2.0", "rollout": "ro-4",
					"started_at": at(0, 1).Add(19 * time.Second), "opened_at": at(0, 1).Add(20 * time.Second), "mitigated_at": at(0, 1).Add(20 * time.Second)}},
			},
			o: dora.Options{Since: at(0, 0), Until: at(1, 0)},
			want: []dora.Figures{{Service: "web", Env: "prod", Attempts: 1, Failed: 1, FailedVersions: []string{"3.2.0"}, ChangeFailureRate: 1,
				TimeToRestore: dora.Stat{N: 1, Median: 20 * time.Second, P90: 20 * time.Second}}},
		},
		{
			name: "empty journal",
			o:    dora.Options{Since: at(0, 0), Until: at(30, 0)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := dora.Measure(context.Background(), open(t, tt.j), tt.o)
			if err != nil {
				t.Fatalf("Measure() = %v", err)
			}
			if diff := cmp.Diff(tt.want, r.Figures); diff != "" {
				t.Errorf("Measure(%+v) mismatch (-want +got):\n%s", tt.o, diff)
			}
		})
	}
}

func TestMeasureRejectsMalformedRecords(t *testing.T) {
	j := journal{incidents: []map[string]any{{"id": "INC-1", "opened_at": "yesterday"}}}
	_, err := dora.Measure(context.Background(), open(t, j), dora.Options{})
	if err == nil {
		t.Fatal("Measure() over an incident with a bad time = nil error")
	}
}
