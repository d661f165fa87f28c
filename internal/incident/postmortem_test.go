package incident_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func storyCommits() []incident.Commit {
	return []incident.Commit{
		{Hash: "9f2c1e0b7a6d5c4b3a291807f6e5d4c3b2a19080", Subject: "feat(domain): add contract rule validation", Author: "Ana Souza", Time: at(9, 12, 0)},
		{Hash: "1a2b3c4d5e6f708192a3b4c5d6e7f80912a3b4c5", Subject: "refactor(domain): align rule with contract context", Author: "Ana Souza", Time: at(10, 40, 0)},
		{Hash: "abc", Subject: "chore: bump | pipes", Author: "Bot", Time: at(11, 0, 0)},
	}
}

func TestPostMortemGolden(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	rolledBack := storyRollout(t, s)
	now := at(10, 7, 33)
	m := storyManager(t, s, &inbox{}, &now)
	rb, err := incident.RollbackFromEvent(rolledBack)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.OpenFromRollback(ctx, rb); err != nil {
		t.Fatal(err)
	}

	now = at(10, 30, 0)
	open, err := m.PostMortem(ctx, "INC-1", storyCommits())
	if err != nil {
		t.Fatalf("PostMortem() = %v", err)
	}
	golden(t, "postmortem_stabilized.md", open)

	now = at(12, 10, 0)
	if _, err := m.Resolve(ctx, "INC-1", incident.Resolution{Note: "fixed in 1.12.1 (legacy contracts without the field)"}); err != nil {
		t.Fatal(err)
	}
	resolved, err := m.PostMortem(ctx, "INC-1", storyCommits())
	if err != nil {
		t.Fatalf("PostMortem() = %v", err)
	}
	golden(t, "postmortem_resolved.md", resolved)

	headings := []string{
		"# Post-mortem: Canary degradation: contract-api 1.12.0 rolled back in prod (INC-1)\n",
		"## Summary\n", "## Timeline\n", "## Metrics at each decision\n", "## Changes in 1.12.0\n",
		"## Root cause\n", "## What went well\n", "## Action items\n",
	}
	last := -1
	for _, h := range headings {
		i := strings.Index(string(resolved), h)
		if i < 0 || i < last {
			t.Errorf("post-mortem lacks heading %q in order", strings.TrimSpace(h))
		}
		last = i
	}
	if strings.Contains(string(resolved), "billing") || strings.Contains(string(resolved), "artifact.built") {
		t.Error("post-mortem timeline holds events of another rollout")
	}
}

// An incident opened from a bare rollback report, with nothing in the journal
// about its rollout, still renders every section.
func TestPostMortemWithoutRolloutJournal(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	now := at(15, 0, 0)
	m := storyManager(t, s, nil, &now)
	rb := incident.Rollback{Service: "ledger", Env: "staging", Rollout: "ro-77", AffectedVersion: "0.4.0",
		Reason: "metrics unavailable 3 times in a row"}
	if _, err := m.OpenFromRollback(ctx, rb); err != nil {
		t.Fatal(err)
	}
	got, err := m.PostMortem(ctx, "INC-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "postmortem_bare.md", got)
}

func TestPostMortemRejectsMalformedJournal(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	now := at(10, 0, 0)
	m := storyManager(t, s, nil, &now)
	appendAll(t, s, []store.Event{{Kind: "rollout.verdict", Rollout: "ro-1", Time: at(9, 0, 0),
		Data: map[string]any{"checks": map[string]any{"not": "a list"}}}})
	rb := incident.Rollback{Service: "api", Env: "prod", Rollout: "ro-1", AffectedVersion: "1.0.0"}
	if _, err := m.OpenFromRollback(ctx, rb); err != nil {
		t.Fatal(err)
	}
	_, err := m.PostMortem(ctx, "INC-1", nil)
	if err == nil || !strings.Contains(err.Error(), "rollout.verdict") {
		t.Fatalf("PostMortem() over a malformed event = %v, want an error naming the event", err)
	}
}

func TestPostMortemNamesFailingRoutes(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	at0 := at(10, 0, 0)
	_, err := s.Append(ctx, store.Event{Kind: "rollout.rolledback", Time: at0, Service: "contract-api", Env: "prod", Version: "1.12.0",
		Rollout: "ro-1", Message: "rolled back", Data: map[string]any{
			"reason": "error-rate 2.50% > 1.00%", "stable_version": "1.11.3", "weight": 5,
			"checks":         []map[string]any{{"metric": "error-rate", "value": 0.025, "threshold": 0.01, "samples": 80, "errors": 2, "passed": false}},
			"failing_routes": []map[string]any{{"route": "POST /v1/contracts/validate", "requests": 80, "errors": 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	now := at(10, 1, 0)
	m := storyManager(t, s, nil, &now)
	inc, err := m.OpenForRollout(ctx, "ro-1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.PostMortem(ctx, inc.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := "**Where.** Errors on 1.12.0 by route during the failing step: `POST /v1/contracts/validate` 2 errors in 80 requests."
	if !strings.Contains(string(got), want) {
		t.Errorf("post-mortem lacks %q:\n%s", want, got)
	}
}
