package release_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/release"
)

// c is a commit of a test history: hash, parents (space-separated) and subject.
func c(t *testing.T, hash, parents, subject string) release.Commit {
	t.Helper()
	out, err := release.ParseCommit(subject, "")
	if err != nil {
		t.Fatal(err)
	}
	out.Hash, out.Parents = hash, strings.Fields(parents)
	return out
}

func TestHotfix(t *testing.T) {
	// Histories since the last release, oldest first; "base" is the release before.
	tests := []struct {
		name    string
		history []release.Commit
		want    bool
	}{
		{"fix merged from fix/*", []release.Commit{
			c(t, "f1", "base", "fix(domain): handle legacy contract edge case"),
			c(t, "m1", "base f1", "Merge branch 'fix/contract-rule-null-case'"),
		}, true},
		{"fix merged from a hotfix pull request", []release.Commit{
			c(t, "f1", "base", "fix: null case"),
			c(t, "f2", "f1", "fix: and its test"),
			c(t, "m1", "base f2", "Merge pull request #12 from org/hotfix/null-case"),
		}, true},
		{"fix merged into main after main moved on with docs", []release.Commit{
			c(t, "d1", "base", "docs: readme"),
			c(t, "f1", "base", "fix: null case"),
			c(t, "m1", "d1 f1", "Merge branch 'hotfix/null-case' into main"),
		}, true},
		{"fix from a remote-tracking fix branch", []release.Commit{
			c(t, "f1", "base", "fix: null case"),
			c(t, "m1", "base f1", "Merge remote-tracking branch 'origin/fix/null-case'"),
		}, true},
		{"perf through a fix branch", []release.Commit{
			c(t, "p1", "base", "perf: cache rule lookups"),
			c(t, "m1", "base p1", "Merge branch 'fix/slow-rules'"),
		}, false},
		{"fix and perf through a fix branch", []release.Commit{
			c(t, "f1", "base", "fix: null case"),
			c(t, "p1", "f1", "perf: cache rule lookups"),
			c(t, "m1", "base p1", "Merge branch 'fix/null-case'"),
		}, false},
		{"fix committed straight to main", []release.Commit{
			c(t, "f1", "base", "fix(domain): handle legacy contract edge case"),
		}, false},
		{"fix straight to main beside a merged fix", []release.Commit{
			c(t, "f1", "base", "fix: null case"),
			c(t, "m1", "base f1", "Merge branch 'fix/null-case'"),
			c(t, "f2", "m1", "fix: typo in error message"),
		}, false},
		{"fix on main before a fix branch was merged", []release.Commit{
			c(t, "f0", "base", "fix: on main"),
			c(t, "f1", "base", "fix: null case"),
			c(t, "m1", "f0 f1", "Merge branch 'fix/null-case'"),
		}, false},
		{"fix merged from a feature branch", []release.Commit{
			c(t, "f1", "base", "fix: null case"),
			c(t, "m1", "base f1", "Merge branch 'feat/rules'"),
		}, false},
		{"feature and fix through fix branches", []release.Commit{
			c(t, "a1", "base", "feat: new rule"),
			c(t, "f1", "a1", "fix: null case"),
			c(t, "m1", "base f1", "Merge branch 'fix/null-case'"),
		}, false},
		{"breaking fix", []release.Commit{
			c(t, "f1", "base", "fix!: reject legacy contracts"),
			c(t, "m1", "base f1", "Merge branch 'fix/legacy'"),
		}, false},
		{"fix with chores through a fix branch", []release.Commit{
			c(t, "f1", "base", "fix: null case"),
			c(t, "x1", "f1", "test: legacy contract"),
			c(t, "m1", "base x1", "Merge branch 'fix/null-case'"),
		}, true},
		{"no parents known", []release.Commit{
			c(t, "f1", "", "fix: null case"),
			c(t, "m1", "", "Merge branch 'fix/null-case'"),
		}, false},
		{"nothing releasable", []release.Commit{
			c(t, "x1", "base", "docs: readme"),
			c(t, "m1", "base x1", "Merge branch 'fix/readme'"),
		}, false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		if got := release.Hotfix(tt.history); got != tt.want {
			t.Errorf("Hotfix(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestHotfixBranch(t *testing.T) {
	tests := map[string]bool{
		"Merge branch 'fix/x'":                         true,
		"Merge branch 'hotfix/x' into main":            true,
		"Merge pull request #12 from org/hotfix/y":     true,
		"Merge pull request #3 from fix/y":             true,
		"Merge remote-tracking branch 'origin/fix/z'":  true,
		"Merge branch 'feat/fix/x'":                    false,
		"Merge pull request #4 from org/feature/fix-y": false,
		"Merge branch 'prefix/x'":                      false,
		"fix: x":                                       false,
	}
	for subject, want := range tests {
		if got := release.HotfixBranch(subject); got != want {
			t.Errorf("HotfixBranch(%q) = %v, want %v", subject, got, want)
		}
	}
}

// TestHotfixPath reads real git histories: a fix merged from fix/* is a hotfix;
// a perf merged the same way, and a fix committed to main, are not.
func TestHotfixPath(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@x", "-c", "commit.gpgsign=false"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	change := func(file, msg string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, file), []byte(msg), 0o644); err != nil {
			t.Fatal(err)
		}
		git("add", file)
		git("commit", "-q", "-m", msg)
	}
	git("init", "-q", "-b", "main")
	change("a", "feat: first")
	git("tag", "v1.0.0")

	git("checkout", "-q", "-b", "fix/null-case")
	change("b", "fix: null case")
	git("checkout", "-q", "main")
	change("c", "docs: meanwhile on main")
	git("merge", "-q", "--no-ff", "-m", "Merge branch 'fix/null-case'", "fix/null-case")
	git("tag", "v1.0.1")
	if !release.HotfixPath(ctx, dir, "v1.0.0", "v1.0.1") {
		t.Errorf("HotfixPath(fix merged from fix/null-case) = false, want true")
	}
	h, err := release.ReadHistory(ctx, dir, "v1.0.0", "v1.0.1")
	if err != nil || len(h) != 3 || !h[2].Merge || len(h[2].Parents) != 2 {
		t.Fatalf("ReadHistory = %+v (%v), want 3 commits ending with a merge of two parents", h, err)
	}

	git("checkout", "-q", "-b", "fix/slow")
	change("d", "perf: cache lookups")
	git("checkout", "-q", "main")
	git("merge", "-q", "--no-ff", "-m", "Merge branch 'fix/slow'", "fix/slow")
	git("tag", "v1.0.2")
	if release.HotfixPath(ctx, dir, "v1.0.1", "v1.0.2") {
		t.Errorf("HotfixPath(perf merged from fix/slow) = true, want false: latency checks must apply")
	}

	change("e", "fix: straight to main")
	if release.HotfixPath(ctx, dir, "v1.0.2", "main") {
		t.Errorf("HotfixPath(fix committed to main) = true, want false")
	}
	if release.HotfixPath(ctx, dir, "v9.9.9", "main") {
		t.Errorf("HotfixPath(unknown tag) = true, want false")
	}
}
