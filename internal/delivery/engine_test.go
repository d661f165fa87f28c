package delivery

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/artifact"
	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/executor/local"
	"github.com/slipway/slipway/internal/pipeline"
	"github.com/slipway/slipway/internal/store"
	"github.com/slipway/slipway/internal/vcs"
)

func TestKind(t *testing.T) {
	for branch, want := range map[string]string{
		"main": "main", "master": "main", "fix/contract-rule-null-case": "hotfix", "hotfix/urgent": "hotfix",
		"feat/contract-rule-validation": "branch", "fixture-update": "branch",
	} {
		if got := Kind(branch); got != want {
			t.Errorf("Kind(%q) = %q, want %q", branch, got, want)
		}
	}
}

const service = `package main

import "fmt"

var version = "dev"

func main() { fmt.Println(version) }
`

func newEngine(t *testing.T) (*Engine, *vcs.Repo) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	repoDir := filepath.Join(dir, "repo")
	repo, err := vcs.Init(ctx, repoDir)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(repoDir, "go.mod"), []byte("module svc\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(repoDir, "main.go"), []byte(service), 0o644)
	st, err := store.Open(ctx, filepath.Join(dir, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	arts, err := artifact.Open(filepath.Join(dir, "artifacts"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Service: "svc", Build: config.Build{Main: "."},
		Pipelines: map[string]config.Pipeline{"main": {Steps: []config.Step{{Name: "test", Run: `test -d "$SLIPWAY_REPO/.git"`}}}}}
	runner := &pipeline.Runner{Exec: &local.Executor{}, LogDir: filepath.Join(dir, "logs"), Journal: st}
	return &Engine{Repo: repo, Config: cfg, Store: st, Artifacts: arts, Dir: dir, Pipelines: runner}, repo
}

// green runs the main pipeline on main's head, as a release needs. Its step checks
// that steps know the repository (slipway check api reads the base ref from it).
func green(t *testing.T, e *Engine) {
	t.Helper()
	res, err := e.Push(context.Background(), "main")
	if err != nil || !res.Passed {
		t.Fatalf("main pipeline: passed %v, %v", res.Passed, err)
	}
}

func commit(t *testing.T, repo *vcs.Repo, file, content, msg string) {
	t.Helper()
	os.WriteFile(filepath.Join(repo.Dir, file), []byte(content), 0o644)
	if _, err := repo.CommitAll(context.Background(), msg, time.Time{}); err != nil {
		t.Fatal(err)
	}
}

func TestReleaseVersionsFromCommits(t *testing.T) {
	ctx := context.Background()
	e, repo := newEngine(t)
	commit(t, repo, "README", "svc", "feat: contract validation")
	if err := repo.Tag(ctx, "v1.11.3", "HEAD"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Release(ctx, "main"); err == nil || !strings.Contains(err.Error(), "main pipeline has not passed") {
		t.Errorf("release before a green main pipeline = %v, want refused", err)
	}
	green(t, e)
	adopted, err := e.Release(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if adopted.Version != "1.11.3" || adopted.Bump != "existing" {
		t.Errorf("release of a tagged head = %s (%s), want 1.11.3 as it is", adopted.Version, adopted.Bump)
	}

	commit(t, repo, "rules.txt", "rule", "feat(domain): add contract rule validation")
	commit(t, repo, "docs.txt", "doc", "docs: explain the rule")
	green(t, e)
	rel, err := e.Release(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if rel.Version != "1.12.0" || rel.Tag != "v1.12.0" || rel.Previous != "v1.11.3" || rel.Hotfix || len(rel.Commits) != 2 {
		t.Errorf("release = %s tag %s after %s, hotfix %v, %d commits; want 1.12.0 after v1.11.3, 2 commits",
			rel.Version, rel.Tag, rel.Previous, rel.Hotfix, len(rel.Commits))
	}
	if at, err := repo.ResolveRef(ctx, "v1.12.0"); err != nil || at != rel.Commit {
		t.Errorf("tag v1.12.0 at %s (%v), want %s", at, err, rel.Commit)
	}
	notes, err := os.ReadFile(rel.Notes)
	if err != nil || !strings.Contains(string(notes), "add contract rule validation") {
		t.Errorf("release notes %s = %q (%v), want the feature listed", rel.Notes, notes, err)
	}
	if err := e.Artifacts.(*artifact.Store).Verify(ctx, rel.Artifact.Digest); err != nil {
		t.Errorf("artifact %s does not verify: %v", rel.Artifact.Digest, err)
	}

	// A fix through the hotfix path: a fix/* branch merged into main.
	for _, step := range []func() error{
		func() error { return repo.Branch(ctx, "fix/legacy-edge-case", "main") },
		func() error { return repo.Checkout(ctx, "fix/legacy-edge-case") },
		func() error {
			commit(t, repo, "rules.txt", "rule, fixed", "fix(domain): handle legacy contract edge case")
			return repo.Checkout(ctx, "main")
		},
		func() error {
			_, err := repo.Merge(ctx, "fix/legacy-edge-case", "Merge branch 'fix/legacy-edge-case'")
			return err
		},
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	green(t, e)
	fix, err := e.Release(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if fix.Version != "1.12.1" || !fix.Hotfix {
		t.Errorf("fix release = %s hotfix %v, want 1.12.1 on the hotfix path", fix.Version, fix.Hotfix)
	}
	// The same kind of change committed straight to main did not come through the
	// hotfix path: the standard profile judges it.
	commit(t, repo, "rules.txt", "rule, fixed twice", "fix(domain): tighten the edge case")
	green(t, e)
	direct, err := e.Release(ctx, "main")
	if err != nil {
		t.Fatal(err)
	}
	if direct.Version != "1.12.2" || direct.Hotfix {
		t.Errorf("direct fix release = %s hotfix %v, want 1.12.2 on the standard profile", direct.Version, direct.Hotfix)
	}

	commit(t, repo, "ci.txt", "ci", "chore: tidy CI")
	green(t, e)
	if _, err := e.Release(ctx, "main"); !errors.Is(err, ErrNothingToRelease) {
		t.Errorf("release of a chore = %v, want ErrNothingToRelease", err)
	}
	evs, _ := e.Store.(*store.Store).Events(ctx, store.Filter{Kinds: []string{"release.created"}})
	if len(evs) != 4 {
		t.Errorf("%d release.created events, want 4", len(evs))
	}
}
