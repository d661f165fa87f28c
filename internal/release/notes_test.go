package release_test

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/slipway/slipway/internal/release"
	"github.com/slipway/slipway/internal/vcs"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

var notesHistory = []vcs.Commit{
	{Hash: "1111111aaaaaaa", Subject: "feat(domain): add contract rule validation"},
	{Hash: "2222222bbbbbbb", Subject: "refactor(domain): align rule with contract context"},
	{Hash: "3333333ccccccc", Subject: "Merge pull request #12 from feat/contract-rule-validation"},
	{Hash: "4444444ddddddd", Subject: "fix(api): return 422 for invalid rules", Body: "Refs: #12"},
	{Hash: "5555555eeeeeee", Subject: "feat(api)!: require rule id on contracts", Body: "BREAKING CHANGE: clients must send rule_id;\nold clients get 400.\nBREAKING CHANGE: GET /rules is paged"},
	{Hash: "6666666fffffff", Subject: "Tidy up the build"},
	{Hash: "7777777aaaaaaa", Subject: "perf: cache rule lookups"},
	{Hash: "8888888bbbbbbb", Subject: "chore!: require Go 1.26"},
	{Hash: "9999999ccccccc", Subject: "feat: rule templates"},
	{Hash: "aaaaaaa0000000", Subject: "docs: rules guide"},
	{Hash: "bbbbbbb1111111", Subject: `Revert "feat: rule templates"`, Body: "This reverts commit 9999999ccccccc."},
	{Hash: "ccccccc2222222", Subject: `Revert "fix: log the rule id"`, Body: "This reverts commit 0123456789abcdef."},
	{Hash: "ddddddd3333333", Subject: "style: gofmt"},
	{Hash: "eeeeeee4444444", Subject: "ci(lint): cache modules"},
}

func TestNotes(t *testing.T) {
	day := time.Date(2026, 2, 5, 16, 40, 0, 0, time.UTC)
	art := &release.Artifact{
		Ref:        "contract-api:2.0.0@sha256:4b1d7c0e2f9a8b3c6d5e4f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c",
		Registry:   "registry.example.com:5000/contract-api@sha256:4b1d7c0e2f9a8b3c6d5e4f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c",
		SBOM:       "registry.example.com:5000/contract-api:sha256-4b1d7c0e2f9a8b3c6d5e4f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c.att",
		Signature:  "registry.example.com:5000/contract-api:sha256-4b1d7c0e2f9a8b3c6d5e4f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c.sig",
		Provenance: "registry.example.com:5000/contract-api:sha256-4b1d7c0e2f9a8b3c6d5e4f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c.att",
		Components: 12, Vulnerabilities: 1,
	}
	tests := []struct {
		name  string
		notes release.Notes
	}{
		{"full", release.Notes{Version: "2.0.0", Previous: "v1.11.3", Date: day, Commits: release.FromGit(notesHistory),
			CommitURL: "https://github.com/acme/contract-api/commit/{hash}", Artifact: art}},
		{"short-hashes", release.Notes{Version: "2.0.0", Previous: "v1.11.3", Date: day, Commits: release.FromGit(notesHistory)}},
		{"empty", release.Notes{Version: "1.11.4", Date: day, Commits: release.FromGit(notesHistory[2:3])}},
		{"incidents", release.Notes{Version: "1.12.0", Previous: "v1.11.3", Date: day, Commits: release.FromGit(notesHistory[:1]),
			Incidents: []release.Incident{{ID: "INC-1", Env: "prod", Status: "stabilized", Title: "contract-api 1.12.0 rolled back in prod: error-rate 2.1% > 1%",
				Opened: day.Add(12 * time.Minute), PostMortem: "../postmortems/INC-1.md"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			golden(t, "notes-"+tt.name+".md", tt.notes.Markdown())
		})
	}
}

func TestAddIncident(t *testing.T) {
	day := time.Date(2026, 2, 5, 16, 40, 0, 0, time.UTC)
	notes := release.Notes{Version: "1.12.0", Date: day, Commits: release.FromGit(notesHistory[:1])}.Markdown()
	if !strings.Contains(notes, "### Incidents\n\nNone recorded.\n") {
		t.Fatalf("fresh notes have no empty incidents section:\n%s", notes)
	}
	inc1 := release.Incident{ID: "INC-1", Env: "prod", Status: "open", Title: "rolled back", Opened: day}
	inc2 := release.Incident{ID: "INC-2", Env: "staging", Status: "open", Title: "slow", Opened: day}
	got := release.AddIncident(notes, inc1)
	got = release.AddIncident(got, inc2)
	inc1.Status, inc1.PostMortem = "stabilized", "../postmortems/INC-1.md"
	got = release.AddIncident(got, inc1)
	if again := release.AddIncident(got, inc1); again != got {
		t.Errorf("AddIncident twice changed the notes:\n%s", cmp.Diff(got, again))
	}
	golden(t, "notes-add-incident.md", got)

	// Regenerated notes keep the incidents; notes from before the section get one.
	regenerated := release.CarryIncidents(got, notes)
	if regenerated != got {
		t.Errorf("CarryIncidents lost incidents:\n%s", cmp.Diff(got, regenerated))
	}
	legacy := "## 1.12.0 (2026-02-05)\n\n### Features\n\n- x (1111111)\n"
	want := legacy + "\n### Incidents\n\n- **INC-2** (staging, opened 2026-02-05 16:40 UTC, open): slow\n"
	if got := release.AddIncident(legacy, inc2); got != want {
		t.Errorf("AddIncident(legacy notes) = %q, want %q", got, want)
	}
}
