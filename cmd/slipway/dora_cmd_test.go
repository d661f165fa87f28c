package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/store"
)

// seedDora writes a week of the story: 1.11.3 deployed, 1.12.0 rolled back with its
// incident, 1.12.1 promoted; releases carry their commits as the delivery engine
// records them.
func seedDora(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t0 := time.Now().UTC().Add(-6 * 24 * time.Hour).Truncate(time.Hour)
	commit := func(hash string, at time.Time) map[string]any {
		return map[string]any{"hash": hash, "subject": "change " + hash, "author": "Ana Souza <ana@contract-api.example>", "time": at}
	}
	releases := map[string][]map[string]any{
		"1.11.3": nil,
		"1.12.0": {commit("aaa", t0.Add(time.Hour))},
		"1.12.1": {commit("bbb", t0.Add(26*time.Hour))},
	}
	for v, cs := range releases {
		if err := st.Put(ctx, "release", "contract-api/"+v, map[string]any{"version": v, "commits": cs}); err != nil {
			t.Fatal(err)
		}
	}
	deploys := []struct {
		version, outcome string
		at               time.Time
	}{
		{"1.11.3", "deployed", t0},
		{"1.12.0", "rolled-back", t0.Add(25 * time.Hour)},
		{"1.12.1", "promoted", t0.Add(27 * time.Hour)},
	}
	for _, d := range deploys {
		_, err := st.Append(ctx, store.Event{Kind: "deploy.finished", Time: d.at, Service: "contract-api", Env: "prod", Version: d.version,
			Message: "contract-api " + d.version + " " + d.outcome + " in prod", Data: map[string]any{"outcome": d.outcome}})
		if err != nil {
			t.Fatal(err)
		}
	}
	rolledBack := t0.Add(25 * time.Hour)
	m := &incident.Manager{Store: st, Now: func() time.Time { return rolledBack }}
	_, err = m.OpenFromRollback(ctx, incident.Rollback{Service: "contract-api", Env: "prod", Rollout: "ro-2", AffectedVersion: "1.12.0",
		StableVersion: "1.11.3", RolledBackAt: rolledBack, DetectedAt: rolledBack.Add(-time.Second), FailedAt: rolledBack.Add(-3 * time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDoraCommand(t *testing.T) {
	data := seedDora(t)
	out, err := runCmd(t, newDoraCmd(), "--data", data, "--env", "prod")
	if err != nil {
		t.Fatalf("dora: %v\n%s", err, out)
	}
	for _, want := range []string{
		"(30 days)",
		"contract-api  prod  2 of 3",
		"0.5/week",
		"13h30m / 26h00m (2)", // aaa shipped with 1.12.1 after 26h, bbb after 1h: median of the two
		"33% (1 of 3): 1.12.0",
		"3.0s (1)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("dora output lacks %q:\n%s", want, out)
		}
	}

	out, err = runCmd(t, newDoraCmd(), "--data", data, "--since", "2d", "-o", "json")
	if err != nil {
		t.Fatalf("dora -o json: %v", err)
	}
	var doc struct {
		Figures []struct {
			Service     string  `json:"service"`
			Deployments int     `json:"deployments"`
			Attempts    int     `json:"attempts"`
			CFR         float64 `json:"change_failure_rate"`
		} `json:"figures"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("dora -o json is not JSON: %v\n%s", err, out)
	}
	if len(doc.Figures) != 0 {
		t.Errorf("dora --since 2d = %+v, want nothing: the story happened 5 days ago", doc.Figures)
	}

	if _, err := runCmd(t, newDoraCmd(), "--data", data, "--since", "last tuesday"); err == nil || !strings.Contains(err.Error(), "30d, 2w") {
		t.Errorf("dora --since 'last tuesday' = %v, want an error showing the accepted forms", err)
	}
	if _, err := runCmd(t, newDoraCmd(), "--data", t.TempDir()); err == nil || !strings.Contains(err.Error(), "no Slipway state in") {
		t.Errorf("dora on an empty directory = %v, want no state", err)
	}
}

func TestParseSince(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"30d", now.AddDate(0, 0, -30)},
		{"2w", now.AddDate(0, 0, -14)},
		{"12h", now.Add(-12 * time.Hour)},
		{"2026-11-01", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		got, err := parseSince(tt.in, now)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "0d", "-3d", "d", "yesterday"} {
		if _, err := parseSince(bad, now); err == nil {
			t.Errorf("parseSince(%q) = nil error", bad)
		}
	}
}
