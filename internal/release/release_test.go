package release_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/slipway/slipway/internal/release"
)

func TestParseCommit(t *testing.T) {
	tests := []struct {
		subject, body string
		want          release.Commit
	}{
		{"feat(domain): add contract rule validation", "", release.Commit{Type: "feat", Scope: "domain", Description: "add contract rule validation"}},
		{"fix: handle null case", "", release.Commit{Type: "fix", Description: "handle null case"}},
		{"Feat(API)!: drop v1 endpoints", "", release.Commit{Type: "feat", Scope: "API", Breaking: true, BreakingNotes: []string{"drop v1 endpoints"}, Description: "drop v1 endpoints"}},
		{"refactor!: rename package", "", release.Commit{Type: "refactor", Breaking: true, BreakingNotes: []string{"rename package"}, Description: "rename package"}},
		{"feat: new flag", "Longer text.\n\nBREAKING CHANGE: the --old flag is gone;\nuse --new instead\nRefs: #42",
			release.Commit{Type: "feat", Description: "new flag", Breaking: true, BreakingNotes: []string{"the --old flag is gone;\nuse --new instead"},
				Body:    "Longer text.\n\nBREAKING CHANGE: the --old flag is gone;\nuse --new instead\nRefs: #42",
				Footers: []release.Footer{{"BREAKING CHANGE", "the --old flag is gone;\nuse --new instead"}, {"Refs", "#42"}}}},
		{"fix: x", "BREAKING-CHANGE: config key renamed",
			release.Commit{Type: "fix", Description: "x", Breaking: true, BreakingNotes: []string{"config key renamed"}, Body: "BREAKING-CHANGE: config key renamed",
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
		{"feat!: two breaks", "BREAKING CHANGE: a is gone\nBREAKING CHANGE: b is renamed", release.Commit{Type: "feat", Description: "two breaks", Breaking: true,
			BreakingNotes: []string{"a is gone", "b is renamed"}, Body: "BREAKING CHANGE: a is gone\nBREAKING CHANGE: b is renamed",
			Footers: []release.Footer{{"BREAKING CHANGE", "a is gone"}, {"BREAKING CHANGE", "b is renamed"}}}},
		{`Revert "feat: x"`, "This reverts commit 0123456789abcdef0123456789abcdef01234567.", release.Commit{Description: `Revert "feat: x"`,
			Body: "This reverts commit 0123456789abcdef0123456789abcdef01234567.", Reverts: &release.Reverted{Hashes: []string{"0123456789abcdef0123456789abcdef01234567"}, Subject: "feat: x"}}},
		{"revert: let us never again speak of the noodle incident", "Refs: 676104e, a215868", release.Commit{Type: "revert", Description: "let us never again speak of the noodle incident",
			Body: "Refs: 676104e, a215868", Footers: []release.Footer{{"Refs", "676104e, a215868"}},
			Reverts: &release.Reverted{Hashes: []string{"676104e", "a215868"}, Subject: "let us never again speak of the noodle incident"}}},
		{`Revert "feat: x" and more`, "", release.Commit{Description: `Revert "feat: x" and more`}},
	}
	for _, tt := range tests {
		got, err := release.ParseCommit(tt.subject, tt.body)
		if err != nil {
			t.Fatalf("ParseCommit(%q): %v", tt.subject, err)
		}
		tt.want.Subject = strings.TrimSpace(tt.subject)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseCommit(%q, %q) mismatch (-want +got):\n%s", tt.subject, tt.body, diff)
		}
	}
	if _, err := release.ParseCommit("  ", "body"); !errors.Is(err, release.ErrEmpty) {
		t.Errorf("ParseCommit(blank) error = %v, want ErrEmpty", err)
	}
}
