package pipeline

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func gitRun(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir}, args...)...)
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@t", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@t")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestListFiles(t *testing.T) {
	ctx := context.Background()
	outer := t.TempDir()
	gitRun(t, outer, "init", "-q")
	write(t, filepath.Join(outer, ".gitignore"), "state/\nbin/\n")
	write(t, filepath.Join(outer, "main.go"), "package main")
	write(t, filepath.Join(outer, "bin", "app"), "built")
	gitRun(t, outer, "add", "-A")
	gitRun(t, outer, "commit", "-q", "-m", "init")
	// An exported tree inside the outer repository's ignored state directory.
	inner := filepath.Join(outer, "state", "checkouts", "abc")
	write(t, filepath.Join(inner, "go.mod"), "module x")
	write(t, filepath.Join(inner, "pkg", "a.go"), "package pkg")

	tests := []struct {
		dir  string
		want []string
	}{
		{outer, []string{".gitignore", "main.go"}},     // a work tree: ignored build output is not an input
		{inner, []string{"go.mod", "pkg/a.go"}},        // not a work tree of its own: every file counts
		{filepath.Join(outer, "bin"), []string{"app"}}, // a plain directory below a work tree
	}
	for _, tt := range tests {
		got, err := listFiles(ctx, tt.dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("listFiles(%s) (-want +got):\n%s", tt.dir, diff)
		}
	}
}
