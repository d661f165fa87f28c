package release_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"

	"github.com/slipway/slipway/internal/release"
)

// history parses commit messages ("subject" or "subject\n\nbody"), oldest
// first. The i-th commit (from 1) gets the hash hashOf(i), so that a message
// can revert it with "This reverts commit <hashOf(i)>.".
func history(t *testing.T, msgs ...string) []release.Commit {
	t.Helper()
	var out []release.Commit
	for i, m := range msgs {
		subject, body, _ := strings.Cut(m, "\n\n")
		c, err := release.ParseCommit(subject, body)
		if err != nil {
			t.Fatal(err)
		}
		c.Hash = hashOf(i + 1)
		out = append(out, c)
	}
	return out
}

// hashOf is the hash history gives its i-th commit: i in seven decimal digits,
// then zeros.
func hashOf(i int) string { return fmt.Sprintf("%07d", i) + strings.Repeat("0", 33) }

func TestNext(t *testing.T) {
	tests := []struct {
		name    string
		current string // "" means nothing released yet
		history []string
		want    string // "" means no version (nil)
		bump    release.Bump
	}{
		// 1.x: the highest bump wins.
		{"feat and fix", "1.11.3", []string{"feat(domain): add rule", "fix: typo"}, "1.12.0", release.Minor},
		{"fix", "1.11.3", []string{"fix: null case"}, "1.11.4", release.Patch},
		{"perf", "1.11.3", []string{"perf: faster"}, "1.11.4", release.Patch},
		{"scoped feat", "1.11.3", []string{"feat(api/v2): paging"}, "1.12.0", release.Minor},
		{"bang", "1.11.3", []string{"fix: a", "chore!: drop go1.20"}, "2.0.0", release.Major},
		{"scoped bang", "1.11.3", []string{"feat(api)!: drop v1"}, "2.0.0", release.Major},
		{"footer", "1.11.3", []string{"fix: rename key\n\nBREAKING CHANGE: config key renamed"}, "2.0.0", release.Major},
		{"dashed footer", "1.11.3", []string{"refactor: x\n\nBREAKING-CHANGE: y"}, "2.0.0", release.Major},
		{"several breaking notes", "1.11.3", []string{"feat: a\n\nBREAKING CHANGE: one\nBREAKING CHANGE: two", "feat!: b"}, "2.0.0", release.Major},
		{"lower-case footer is prose", "1.11.3", []string{"fix: y\n\nbreaking change: not really"}, "1.11.4", release.Patch},
		{"nothing releasable", "1.11.3", []string{"docs: readme", "chore: deps", "Update things", "refactor(domain): move", "test: more", "ci: cache"}, "1.11.3", release.None},
		{"empty", "1.11.3", nil, "1.11.3", release.None},
		{"v prefix", "v1.2.3", []string{"feat: x"}, "1.3.0", release.Minor},

		// Merge commits carry no change of their own; what they bring in does.
		{"merge alone", "1.11.3", []string{"Merge branch 'feat/x'"}, "1.11.3", release.None},
		{"merged feature", "1.11.3", []string{"feat: x", "Merge pull request #7 from org/feat/x"}, "1.12.0", release.Minor},
		{"squash merge", "1.11.3", []string{"wip", "feat: rules engine (#12)"}, "1.12.0", release.Minor},
		{"merge of a fix branch", "1.11.3", []string{"fix: y", "Merge remote-tracking branch 'origin/fix/y'"}, "1.11.4", release.Patch},

		// A change and its revert in the same range cancel out.
		{"git revert by hash", "1.11.3", []string{"feat: x", "fix: y", `Revert "feat: x"` + "\n\nThis reverts commit " + hashOf(1) + "."}, "1.11.4", release.Patch},
		{"revert: by subject", "1.11.3", []string{"feat: x", "revert: feat: x"}, "1.11.3", release.None},
		{"revert of a breaking change", "1.11.3", []string{"feat!: drop v1", "fix: y", "revert: feat!: drop v1\n\nRefs: " + hashOf(1)[:7]}, "1.11.4", release.Patch},
		{"revert of the revert", "1.11.3", []string{"feat: x", `Revert "feat: x"`, `Revert "Revert "feat: x""`}, "1.12.0", release.Minor},
		{"revert of a released commit is a patch", "1.11.3", []string{`Revert "feat: old"` + "\n\nThis reverts commit 89abcdef89abcdef89abcdef89abcdef89abcdef."}, "1.11.4", release.Patch},
		{"named hash is not guessed by subject", "1.11.3", []string{"feat: x", `Revert "feat: x"` + "\n\nThis reverts commit 89abcdef."}, "1.12.0", release.Minor},
		{"revert cancels the latest same subject only", "1.11.3", []string{"feat: x", "fix: x", "revert: fix: x"}, "1.12.0", release.Minor},

		// Below 1.0.0 (conventional-changelog pre-major): breaking -> minor, feat -> patch.
		{"0.x breaking", "0.3.1", []string{"feat!: new api"}, "0.4.0", release.Minor},
		{"0.x footer", "0.3.1", []string{"fix: a\n\nBREAKING CHANGE: b"}, "0.4.0", release.Minor},
		{"0.x feat", "0.3.1", []string{"feat: more"}, "0.3.2", release.Patch},
		{"0.x fix", "0.3.1", []string{"fix: less"}, "0.3.2", release.Patch},
		{"0.x never reaches 1.0.0", "0.9.4", []string{"feat!: everything"}, "0.10.0", release.Minor},
		{"first feat", "", []string{"feat: first"}, "0.1.0", release.Minor},
		{"first breaking", "", []string{"feat!: first"}, "0.1.0", release.Minor},
		{"first fix", "", []string{"fix: first"}, "0.0.1", release.Patch},
		{"first docs", "", []string{"docs: only"}, "", release.None},
		{"0.0.0 is nothing released", "0.0.0", []string{"feat: first"}, "0.1.0", release.Minor},

		// A pre-release is finished, or bumped further when the commits ask for more.
		{"rc finished by a fix", "1.2.0-rc.1", []string{"fix: last one"}, "1.2.0", release.Minor},
		{"rc finished by a feat", "1.3.0-rc.2", []string{"feat: late"}, "1.3.0", release.Minor},
		{"rc finished by a merge alone", "1.3.0-rc.2", []string{"Merge branch 'release/1.3'"}, "1.3.0", release.Minor},
		{"patch rc and a feat", "1.2.1-rc.1", []string{"feat: more"}, "1.3.0", release.Minor},
		{"rc and a break", "1.3.0-rc.2", []string{"feat!: gone"}, "2.0.0", release.Major},
		{"major rc and a break", "2.0.0-rc.1", []string{"feat!: more gone"}, "2.0.0", release.Major},
	}
	for _, tt := range tests {
		var cur *semver.Version
		if tt.current != "" {
			cur = semver.MustParse(tt.current)
		}
		got, bump := release.Next(cur, history(t, tt.history...))
		gotS := ""
		if got != nil {
			gotS = got.String()
		}
		if gotS != tt.want || bump != tt.bump {
			t.Errorf("Next(%s: %q, %q) = %q, %v; want %q, %v", tt.name, tt.current, tt.history, gotS, bump, tt.want, tt.bump)
		}
	}
}

func TestNextFor(t *testing.T) {
	tests := []struct {
		branch, current string
		history         []string
		want            string
		bump            release.Bump
	}{
		{"release/1.3", "1.2.4", []string{"feat: x"}, "1.3.0-rc.1", release.Minor},
		{"release/1.3", "1.3.0-rc.1", []string{"fix: y"}, "1.3.0-rc.2", release.Minor},
		{"release/1.3", "1.3.0-rc.9", []string{"fix: y"}, "1.3.0-rc.10", release.Minor},
		{"release/1.3", "1.3.0-rc.2", []string{"feat!: z"}, "2.0.0-rc.1", release.Major},
		{"release/1.3", "1.3.0-rc.2", []string{"docs: only"}, "1.3.0-rc.2", release.None},
		{"release/1.3", "1.3.0-beta.1", []string{"fix: y"}, "1.3.0-rc.1", release.Minor},
		{"release/2.0", "", []string{"fix: first"}, "0.0.1-rc.1", release.Patch},
		{"main", "1.3.0-rc.2", []string{"Merge branch 'release/1.3'"}, "1.3.0", release.Minor},
		{"main", "1.2.4", []string{"feat: x"}, "1.3.0", release.Minor},
		{"releases", "1.2.4", []string{"feat: x"}, "1.3.0", release.Minor},
	}
	for _, tt := range tests {
		var cur *semver.Version
		if tt.current != "" {
			cur = semver.MustParse(tt.current)
		}
		got, bump := release.NextFor(tt.branch, cur, history(t, tt.history...))
		if got == nil || got.String() != tt.want || bump != tt.bump {
			t.Errorf("NextFor(%q, %q, %q) = %v, %v; want %s, %v", tt.branch, tt.current, tt.history, got, bump, tt.want, tt.bump)
		}
	}
}

func TestEffective(t *testing.T) {
	h := history(t, "feat: a", "fix: b", "revert: feat: a", "docs: c", `Revert "revert: feat: a"`)
	var got []string
	for _, c := range release.Effective(h) {
		got = append(got, c.Subject)
	}
	want := []string{"feat: a", "fix: b", "docs: c"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Effective = %q, want %q", got, want)
	}
}
