package controlplane

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/artifact/registry"
	"github.com/slipway/slipway/internal/artifact/registry/registrytest"
	"github.com/slipway/slipway/internal/store"
)

// TestUpDeploysFromTheRegistryUnderAPinnedPolicy runs a control plane on a
// service whose slipway.yaml names a registry and sets no policy, with a policy
// file pinned by slipway up --policy that holds dev to a recent vulnerability
// database. The release is pushed with its attestations; the deploy verifies
// the registry's copy and is refused by the pinned gate, naming the file.
func TestUpDeploysFromTheRegistryUnderAPinnedPolicy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds slipway and runs a control plane")
	}
	reg := registrytest.Start(t)
	ctx := context.Background()
	repo := upRepo(t)
	repoRef := reg.Host + "/team/svc"
	commitFile(t, repo, "slipway.yaml", upConfig+"registry: "+repoRef+"\n", "chore: push releases to the registry")
	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte("environments:\n  dev:\n    vulnerabilities: {block: critical, max-db-age: 1h}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(repo.Dir, ".slipway")
	slipway := filepath.Join(t.TempDir(), "slipway")
	if out, err := exec.Command("go", "build", "-o", slipway, "../../cmd/slipway").CombinedOutput(); err != nil {
		t.Fatalf("build slipway: %v\n%s", err, out)
	}
	upCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- Up(upCtx, UpOptions{Data: data, Services: []string{repo.Dir}, Slipway: slipway, Poll: 100 * time.Millisecond,
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Policy: policy})
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		if _, err := Down(context.Background(), data, 10*time.Second); err != nil {
			t.Errorf("Down: %v", err)
		}
	})

	// The refusal is journaled, or Up gives up on the first delivery with it.
	var refusal string
	deadline := time.Now().Add(4 * time.Minute)
	for refusal == "" && time.Now().Before(deadline) {
		select {
		case err := <-done:
			done <- err // for the cleanup
			if err == nil {
				t.Fatal("Up returned without refusing the deploy")
			}
			refusal = err.Error()
			continue
		case <-time.After(200 * time.Millisecond):
		}
		st, err := store.Open(ctx, filepath.Join(data, "slipway.db"))
		if err != nil {
			continue
		}
		evs, _ := st.Events(ctx, store.Filter{Kinds: []string{"deploy.failed"}})
		st.Close()
		if len(evs) > 0 {
			refusal = evs[0].Message
		}
	}
	if refusal == "" {
		t.Fatal("no deploy refused in time")
	}
	t.Logf("refused: %s", refusal)
	for _, want := range []string{"verify " + repoRef + "@sha256:", "vulnerability database is too old", "max-db-age in " + policy} {
		if !strings.Contains(refusal, want) {
			t.Errorf("refusal does not say %q:\n%s", want, refusal)
		}
	}

	st, err := store.Open(ctx, filepath.Join(data, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pushed, err := st.Events(ctx, store.Filter{Kinds: []string{"release.pushed"}})
	if err != nil || len(pushed) == 0 {
		t.Fatalf("no release.pushed event (%v)", err)
	}
	ref, _ := pushed[0].Data["ref"].(string)
	found, err := registry.Find(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]bool{}
	for _, a := range found.Attestations {
		types[a.PredicateType] = true
	}
	if len(found.Signatures) != 1 || !types[registry.PredicateCycloneDX] || !types[registry.PredicateSLSA] || !types[registry.PredicateVuln] {
		t.Errorf("registry holds %d signatures and attestations %v, want one signature and the SBOM, provenance and vuln attestations", len(found.Signatures), types)
	}
}
