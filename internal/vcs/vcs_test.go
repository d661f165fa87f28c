package vcs_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/slipway/slipway/internal/vcs"
)

var base = time.Date(2026, 2, 2, 9, 0, 0, 0, time.UTC)

func write(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func commit(t *testing.T, r *vcs.Repo, msg string, n int) string {
	t.Helper()
	h, err := r.CommitAll(context.Background(), msg, base.Add(time.Duration(n)*time.Minute))
	if err != nil {
		t.Fatalf("CommitAll(%q): %v", msg, err)
	}
	return h
}

// history builds: main: A(v1.0.0) - B ; feat: C - D ; merged into main as M.
func history(t *testing.T) (*vcs.Repo, map[string]string) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	r, err := vcs.Init(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{}
	write(t, dir, "README.md", "hello\n")
	write(t, dir, "api/openapi.yaml", "openapi: 3.0.0\n")
	h["A"] = commit(t, r, "chore: initial import", 1)
	if err := r.Tag(ctx, "v1.0.0", h["A"]); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "README.md", "hello again\n")
	h["B"] = commit(t, r, "docs: say hello again", 2)
	if err := r.Branch(ctx, "feat/x", "HEAD"); err != nil {
		t.Fatal(err)
	}
	if err := r.Checkout(ctx, "feat/x"); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "domain/rule.go", "package domain\n")
	h["C"] = commit(t, r, "feat(domain): add rule\n\nThe rule checks contracts.\n\nRefs: #12", 3)
	write(t, dir, "api/openapi.yaml", "openapi: 3.0.3\n")
	h["D"] = commit(t, r, "fix: bump spec", 4)
	if err := r.Checkout(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	m, err := r.Merge(ctx, "feat/x", "Merge feat/x")
	if err != nil {
		t.Fatal(err)
	}
	h["M"] = m
	if err := r.Tag(ctx, "v1.1.0", m); err != nil {
		t.Fatal(err)
	}
	if err := r.Tag(ctx, "v1.0.10", h["B"]); err != nil {
		t.Fatal(err)
	}
	if err := r.Tag(ctx, "not-a-version", m); err != nil {
		t.Fatal(err)
	}
	return r, h
}

func TestDeterministicCommit(t *testing.T) {
	var hashes []string
	for range 2 {
		dir := t.TempDir()
		r, err := vcs.Init(context.Background(), dir)
		if err != nil {
			t.Fatal(err)
		}
		write(t, dir, "a.txt", "a")
		hashes = append(hashes, commit(t, r, "feat: a", 0))
	}
	if hashes[0] != hashes[1] {
		t.Errorf("same tree, message and date gave hashes %s and %s", hashes[0], hashes[1])
	}
}

func TestLog(t *testing.T) {
	r, h := history(t)
	ctx := context.Background()
	got, err := r.Log(ctx, "v1.0.0", "main")
	if err != nil {
		t.Fatal(err)
	}
	want := []vcs.Commit{
		{Hash: h["B"], Subject: "docs: say hello again", Author: "Slipway <slipway@localhost>", Time: base.Add(2 * time.Minute)},
		{Hash: h["C"], Subject: "feat(domain): add rule", Body: "The rule checks contracts.\n\nRefs: #12", Author: "Slipway <slipway@localhost>", Time: base.Add(3 * time.Minute)},
		{Hash: h["D"], Subject: "fix: bump spec", Author: "Slipway <slipway@localhost>", Time: base.Add(4 * time.Minute)},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("Log(v1.0.0, main) mismatch (-want +got):\n%s", diff)
	}
	all, err := r.Log(ctx, "", "main")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 4 || all[0].Hash != h["A"] {
		t.Errorf("Log(\"\", main) = %d commits starting %v, want 4 starting with A", len(all), all)
	}
	if _, err := r.Log(ctx, "nope", "main"); !errors.Is(err, vcs.ErrNotFound) {
		t.Errorf("Log(nope, main) error = %v, want ErrNotFound", err)
	}
}

func TestChangedFiles(t *testing.T) {
	r, h := history(t)
	ctx := context.Background()
	write(t, r.Dir, "new.txt", "untracked")
	write(t, r.Dir, "README.md", "edited")
	tests := []struct {
		from, to string
		want     []string
	}{
		{"v1.0.0", "main", []string{"README.md", "api/openapi.yaml", "domain/rule.go"}},
		{h["B"], h["C"], []string{"domain/rule.go"}},
		{"", "v1.0.0", []string{"README.md", "api/openapi.yaml"}},
		{"main", "", []string{"README.md", "new.txt"}},
	}
	for _, tt := range tests {
		got, err := r.ChangedFiles(ctx, tt.from, tt.to)
		if err != nil {
			t.Fatalf("ChangedFiles(%q, %q): %v", tt.from, tt.to, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ChangedFiles(%q, %q) mismatch (-want +got):\n%s", tt.from, tt.to, diff)
		}
	}
}

func TestLatestTag(t *testing.T) {
	r, h := history(t)
	ctx := context.Background()
	tests := []struct {
		ref, pattern, want string
	}{
		{"main", "v*", "v1.1.0"},
		{h["B"], "v*", "v1.0.10"},
		{h["A"], "v*", "v1.0.0"},
		{"feat/x", "v*", "v1.0.10"},
	}
	for _, tt := range tests {
		got, err := r.LatestTag(ctx, tt.ref, tt.pattern)
		if err != nil {
			t.Fatalf("LatestTag(%q, %q): %v", tt.ref, tt.pattern, err)
		}
		if got != tt.want {
			t.Errorf("LatestTag(%q, %q) = %q, want %q", tt.ref, tt.pattern, got, tt.want)
		}
	}
	if _, err := r.LatestTag(ctx, "main", "release-*"); !errors.Is(err, vcs.ErrNotFound) {
		t.Errorf("LatestTag(main, release-*) error = %v, want ErrNotFound", err)
	}
}

func TestShowAndExport(t *testing.T) {
	r, _ := history(t)
	ctx := context.Background()
	got, err := r.Show(ctx, "v1.0.0", "api/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "openapi: 3.0.0\n" {
		t.Errorf("Show(v1.0.0, api/openapi.yaml) = %q", got)
	}
	if _, err := r.Show(ctx, "v1.0.0", "domain/rule.go"); !errors.Is(err, vcs.ErrNotFound) {
		t.Errorf("Show of a file missing at the ref: error = %v, want ErrNotFound", err)
	}
	if _, err := r.Show(ctx, "v1.0.0", "../etc/passwd"); err == nil {
		t.Error("Show of a path outside the repository succeeded")
	}

	out := filepath.Join(t.TempDir(), "tree")
	if err := r.Export(ctx, "main", out); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"README.md":        "hello again\n",
		"api/openapi.yaml": "openapi: 3.0.3\n",
		"domain/rule.go":   "package domain\n",
	} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatalf("exported tree: %v", err)
		}
		if string(b) != want {
			t.Errorf("exported %s = %q, want %q", name, b, want)
		}
	}
	if _, err := os.Stat(filepath.Join(out, ".git")); !os.IsNotExist(err) {
		t.Errorf("exported tree has .git (stat error %v)", err)
	}
}

func TestOpenAndResolve(t *testing.T) {
	r, h := history(t)
	ctx := context.Background()
	o, err := vcs.Open(ctx, filepath.Join(r.Dir, "api"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := o.ResolveRef(ctx, "v1.1.0")
	if err != nil || got != h["M"] {
		t.Errorf("ResolveRef(v1.1.0) = %q, %v; want %q", got, err, h["M"])
	}
	if _, err := vcs.Open(ctx, t.TempDir()); err == nil {
		t.Error("Open of a directory outside any repository succeeded")
	}
	if _, err := r.ResolveRef(ctx, "--help"); err == nil {
		t.Error("ResolveRef(--help) succeeded")
	}
	if _, err := r.Merge(ctx, "no-such-branch", ""); err == nil {
		t.Error("Merge of a missing branch succeeded")
	}
}
