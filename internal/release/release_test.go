package release_test

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/slipway/slipway/internal/release"
	"github.com/slipway/slipway/internal/vcs"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

func TestParseCommit(t *testing.T) {
	tests := []struct {
		subject, body string
		want          release.Commit
	}{
		{"feat(domain): add contract rule validation", "", release.Commit{Type: "feat", Scope: "domain", Description: "add contract rule validation"}},
		{"fix: handle null case", "", release.Commit{Type: "fix", Description: "handle null case"}},
		{"Feat(API)!: drop v1 endpoints", "", release.Commit{Type: "feat", Scope: "API", Breaking: true, BreakingNote: "drop v1 endpoints", Description: "drop v1 endpoints"}},
		{"refactor!: rename package", "", release.Commit{Type: "refactor", Breaking: true, BreakingNote: "rename package", Description: "rename package"}},
		{"feat: new flag", "Longer text.\n\nBREAKING CHANGE: the --old flag is gone;\nuse --new instead\nRefs: #42",
			release.Commit{Type: "feat", Description: "new flag", Breaking: true, BreakingNote: "the --old flag is gone;\nuse --new instead",
				Body:    "Longer text.\n\nBREAKING CHANGE: the --old flag is gone;\nuse --new instead\nRefs: #42",
				Footers: []release.Footer{{"BREAKING CHANGE", "the --old flag is gone;\nuse --new instead"}, {"Refs", "#42"}}}},
		{"fix: x", "BREAKING-CHANGE: config key renamed",
			release.Commit{Type: "fix", Description: "x", Breaking: true, BreakingNote: "config key renamed", Body: "BREAKING-CHANGE: config key renamed",
				Footers: []release.Footer{{"BREAKING-CHANGE", "config key renamed"}}}},
		// Lower-case "breaking change" is not the footer token; a footer must be in the last paragraph.
		{"fix: y", "breaking change: not really", release.Commit{Type: "fix", Description: "y", Body: "breaking change: not really"}},
		{"fix: z", "BREAKING CHANGE: in the body\n\nthen prose", release.Commit{Type: "fix", Description: "z", Body: "BREAKING CHANGE: in the body\n\nthen prose"}},
		{"docs: readme", "Closes #7", release.Commit{Type: "docs", Description: "readme", Body: "Closes #7", Footers: []release.Footer{{"Closes", "#7"}}}},
		// Not conventional: kept as "other", not an error.
		{"Update README", "", release.Commit{Description: "Update README"}},
		{"feat:missing space", "", release.Commit{Description: "feat:missing space"}},
		{"feat(): empty scope", "", release.Commit{Description: "feat(): empty scope"}},
		{"feat: ", "", release.Commit{Description: "feat:"}},
		{"WIP", "", release.Commit{Description: "WIP"}},
		{"Merge branch 'feat/x'", "", release.Commit{Description: "Merge branch 'feat/x'", Merge: true}},
		{"Merge pull request #12 from a/b", "", release.Commit{Description: "Merge pull request #12 from a/b", Merge: true}},
	}
	for _, tt := range tests {
		got, err := release.ParseCommit(tt.subject, tt.body)
		if err != nil {
			t.Fatalf("ParseCommit(%q): %v", tt.subject, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseCommit(%q, %q) mismatch (-want +got):\n%s", tt.subject, tt.body, diff)
		}
	}
	if _, err := release.ParseCommit("  ", "body"); !errors.Is(err, release.ErrEmpty) {
		t.Errorf("ParseCommit(blank) error = %v, want ErrEmpty", err)
	}
}

func parse(t *testing.T, subjects ...string) []release.Commit {
	t.Helper()
	var out []release.Commit
	for _, s := range subjects {
		c, err := release.ParseCommit(s, "")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func TestNext(t *testing.T) {
	tests := []struct {
		current  string // "" means nothing released yet
		subjects []string
		want     string // "" means nil
		bump     release.Bump
	}{
		{"1.11.3", []string{"feat(domain): add rule", "fix: typo"}, "1.12.0", release.Minor},
		{"1.11.3", []string{"fix: null case"}, "1.11.4", release.Patch},
		{"1.11.3", []string{"perf: faster"}, "1.11.4", release.Patch},
		{"1.11.3", []string{"fix: a", "chore!: drop go1.20"}, "2.0.0", release.Major},
		{"1.11.3", []string{"docs: readme", "chore: deps", "Update things", "refactor(domain): move"}, "1.11.3", release.None},
		{"1.11.3", []string{"Merge branch 'feat/x'"}, "1.11.3", release.None},
		{"1.11.3", nil, "1.11.3", release.None},
		{"0.3.1", []string{"feat!: new api"}, "0.4.0", release.Minor},
		{"0.3.1", []string{"feat: more"}, "0.4.0", release.Minor},
		{"0.3.1", []string{"fix: less"}, "0.3.2", release.Patch},
		{"", []string{"feat: first"}, "0.1.0", release.Minor},
		{"", []string{"fix: first"}, "0.0.1", release.Patch},
		{"", []string{"docs: only"}, "", release.None},
		{"1.2.0-rc.1", []string{"fix: last one"}, "1.2.0", release.Patch},
		{"v1.2.3", []string{"feat: x"}, "1.3.0", release.Minor},
	}
	for _, tt := range tests {
		var cur *semver.Version
		if tt.current != "" {
			cur = semver.MustParse(tt.current)
		}
		got, bump := release.Next(cur, parse(t, tt.subjects...))
		gotS := ""
		if got != nil {
			gotS = got.String()
		}
		if gotS != tt.want || bump != tt.bump {
			t.Errorf("Next(%q, %q) = %q, %v; want %q, %v", tt.current, tt.subjects, gotS, bump, tt.want, tt.bump)
		}
	}
}

func TestNotes(t *testing.T) {
	day := time.Date(2026, 2, 5, 16, 40, 0, 0, time.UTC)
	history := []vcs.Commit{
		{Hash: "1111111aaaaaaa", Subject: "feat(domain): add contract rule validation"},
		{Hash: "2222222bbbbbbb", Subject: "refactor(domain): align rule with contract context"},
		{Hash: "3333333ccccccc", Subject: "Merge pull request #12 from feat/contract-rule-validation"},
		{Hash: "4444444ddddddd", Subject: "fix(api): return 422 for invalid rules", Body: "Refs: #12"},
		{Hash: "5555555eeeeeee", Subject: "feat(api)!: require rule id on contracts", Body: "BREAKING CHANGE: clients must send rule_id;\nold clients get 400."},
		{Hash: "6666666fffffff", Subject: "Tidy up the build"},
		{Hash: "7777777aaaaaaa", Subject: "perf: cache rule lookups"},
		{Hash: "8888888bbbbbbb", Subject: "chore!: require Go 1.26"},
	}
	tests := []struct {
		name    string
		version string
		commits []release.Commit
	}{
		{"full", "2.0.0", release.FromGit(history)},
		{"empty", "1.11.4", release.FromGit(history[2:3])},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := release.Notes(tt.version, day, tt.commits)
			golden := filepath.Join("testdata", "notes-"+tt.name+".md")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("Notes(%s) mismatch with %s (-want +got):\n%s", tt.version, golden, diff)
			}
		})
	}
}
