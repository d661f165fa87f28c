package vcs_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slipway/slipway/internal/vcs"
)

// TestHeadsAndStamp follows branches locally and on a bare origin: Heads names
// every branch's commit, Diff says what moved, and Stamp changes exactly when a
// branch moves, so polling can skip git when nothing did.
func TestHeadsAndStamp(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	origin := filepath.Join(root, "origin.git")
	if out, err := exec.Command("git", "init", "-q", "--bare", "-b", "main", origin).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	r, err := vcs.Init(ctx, filepath.Join(root, "work"))
	if err != nil {
		t.Fatal(err)
	}
	git := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("git", append([]string{"-C", r.Dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	first := commit(t, r, "feat: one", 1)
	git("remote", "add", "origin", origin)
	git("push", "-q", "origin", "main")

	local := r.Stamp(ctx, "")
	remote := r.Stamp(ctx, "origin")
	if local == "" || remote == "" {
		t.Fatalf("Stamp = %q locally, %q on a bare origin on this machine; want both known", local, remote)
	}
	if again := r.Stamp(ctx, ""); again != local {
		t.Errorf("Stamp changed with nothing moved: %s then %s", local, again)
	}
	if err := r.Branch(ctx, "feat/x", "main"); err != nil {
		t.Fatal(err)
	}
	if now := r.Stamp(ctx, ""); now == local {
		t.Errorf("Stamp did not change when feat/x was created")
	}
	if now := r.Stamp(ctx, "origin"); now != remote {
		t.Errorf("origin's Stamp changed though nothing was pushed")
	}
	second := commit(t, r, "fix: two", 2)
	git("push", "-q", "origin", "main")
	if now := r.Stamp(ctx, "origin"); now == remote {
		t.Errorf("origin's Stamp did not change after a push to main")
	}

	heads, err := r.Heads(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"main": second, "feat/x": first}, heads); diff != "" {
		t.Errorf("local heads (-want +got):\n%s", diff)
	}
	if err := r.Fetch(ctx, "origin"); err != nil {
		t.Fatal(err)
	}
	remoteHeads, err := r.Heads(ctx, "origin")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"main": second}, remoteHeads); diff != "" {
		t.Errorf("origin's heads (-want +got):\n%s", diff)
	}
	got := vcs.Diff(map[string]string{"main": first, "old": first}, heads)
	want := []vcs.RefChange{{Branch: "feat/x", New: first}, {Branch: "main", Old: first, New: second}, {Branch: "old", Old: first}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Diff (-want +got):\n%s", diff)
	}
}
