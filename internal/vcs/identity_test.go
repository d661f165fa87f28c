package vcs_test

import (
	"context"
	"testing"

	"github.com/slipway/slipway/internal/vcs"
)

// A repository given an identity records it on its commits and merges, whatever
// the environment says; without one, the environment's identity wins.
func TestIdentity(t *testing.T) {
	ctx := context.Background()
	t.Setenv("GIT_AUTHOR_NAME", "Someone Else")
	t.Setenv("GIT_AUTHOR_EMAIL", "else@example.com")
	dir := t.TempDir()
	r, err := vcs.Init(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, "a.txt", "a")
	plain := commit(t, r, "feat: a", 0)

	r.Identity = "Ana Souza <ana@contract-api.example>"
	if err := r.Branch(ctx, "feat/b", "main"); err != nil {
		t.Fatal(err)
	}
	if err := r.Checkout(ctx, "feat/b"); err != nil {
		t.Fatal(err)
	}
	write(t, dir, "b.txt", "b")
	named := commit(t, r, "feat: b", 1)
	if err := r.Checkout(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	r.Identity = "Rui Costa <rui@contract-api.example>"
	merge, err := r.Merge(ctx, "feat/b", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ commit, want string }{
		{plain, "Someone Else <else@example.com>"},
		{named, "Ana Souza <ana@contract-api.example>"},
		{merge, "Rui Costa <rui@contract-api.example>"},
	} {
		if got, err := r.Author(ctx, tt.commit); err != nil || got != tt.want {
			t.Errorf("Author(%s) = %q, %v; want %q", tt.commit[:7], got, err, tt.want)
		}
	}
}
