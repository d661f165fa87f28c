package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/artifact"
	"github.com/slipway/slipway/internal/artifact/registry"
	"github.com/slipway/slipway/internal/artifact/registry/registrytest"
	"github.com/slipway/slipway/internal/controlplane"
	"github.com/slipway/slipway/internal/store"
)

// pushSeeded pushes the seeded release to repo as a release does.
func pushSeeded(t *testing.T, data, repo string, a artifact.Artifact) registry.Pushed {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(data, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := controlplane.StoredConfig(ctx, st, "vulnsvc")
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	opts, err := artifact.Configure(cfg.Artifacts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := artifact.Open(filepath.Join(data, "artifacts"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	img, err := s.Image(ctx, a.Digest)
	if err != nil {
		t.Fatal(err)
	}
	vuln, err := s.VulnStatement(ctx, a.Digest)
	if err != nil {
		t.Fatal(err)
	}
	keyID, err := s.KeyID()
	if err != nil {
		t.Fatal(err)
	}
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pushed, err := registry.Push(ctx, repo, registry.Artifact{Image: img, Version: a.Version, Payload: read(a.Payload),
		Signature: strings.TrimSpace(string(read(a.Signature))), SBOM: read(a.SBOM), Provenance: read(a.Provenance),
		Vuln: vuln, KeyID: keyID, Sign: s.SignAttestation})
	if err != nil {
		t.Fatal(err)
	}
	return pushed
}

// TestVerifyCmdRegistry verifies the registry's copy of a release: every check
// passes for dev, prod's gate refuses its finding, and a pinned policy file
// decides instead of slipway.yaml.
func TestVerifyCmdRegistry(t *testing.T) {
	data, a := seedRelease(t)
	reg := registrytest.Start(t)
	pushed := pushSeeded(t, data, reg.Host+"/team/vulnsvc", a)

	out, err := runCmd(t, newVerifyCmd(), pushed.Ref, "--env", "dev", "--data", data)
	if err != nil {
		t.Fatalf("verify %s --env dev: %v\n%s", pushed.Ref, err, out)
	}
	for _, want := range []string{pushed.Ref + " against the policy of dev", "ok    digest", "served by the registry", "ok    signature",
		"ok    attestations", "ok    scan", "vulnerability attestation signed by a trusted key", "days old at the scan", "\nverified\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify %s output lacks %q:\n%s", pushed.Ref, want, out)
		}
	}

	out, err = runCmd(t, newVerifyCmd(), pushed.Ref, "--env", "prod", "--data", data)
	if err == nil || !strings.Contains(out, "FAIL  vulnerabilities") || !strings.Contains(out, "GO-2099-0100 high") {
		t.Errorf("verify %s --env prod: %v\n%s", pushed.Ref, err, out)
	}

	policy := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(policy, []byte("environments:\n  prod:\n    vulnerabilities: {block: high, max-db-age: 1h}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, newVerifyCmd(), pushed.Ref, "--env", "prod", "--policy", policy, "--data", data)
	if err == nil || !strings.Contains(out, "pinned in "+policy) || !strings.Contains(out, "max-db-age in "+policy) {
		t.Errorf("verify --policy (max-db-age 1h): %v\n%s", err, out)
	}
	t.Setenv("SLIPWAY_POLICY", policy)
	if err := os.WriteFile(policy, []byte("environments:\n  prod:\n    vulnerabilities: {block: critical, max-db-age: 36500d}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := runCmd(t, newVerifyCmd(), pushed.Ref, "--env", "prod", "--data", data); err != nil || !strings.Contains(out, "pinned in "+policy) {
		t.Errorf("verify with $SLIPWAY_POLICY (block: critical): %v\n%s", err, out)
	}
}
