package deploy

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/slipway/slipway/internal/artifact"
	"github.com/slipway/slipway/internal/artifact/registry"
	"github.com/slipway/slipway/internal/artifact/registry/registrytest"
	"github.com/slipway/slipway/internal/config"
)

// pushTo pushes a from the artifact store s to repo the way a release does:
// image, signature, SBOM, provenance and vulnerability attestations. tweak,
// when set, changes what is pushed first (an attacker's push).
func pushTo(t *testing.T, s *artifact.Store, repo string, a Artifact, tweak func(*registry.Artifact)) registry.Pushed {
	t.Helper()
	ctx := context.Background()
	got, err := s.Get(ctx, a.Digest)
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
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ra := registry.Artifact{Image: img, Version: a.Version, Payload: read(got.Payload), Signature: strings.TrimSpace(string(read(got.Signature))),
		SBOM: read(got.SBOM), Provenance: read(got.Provenance), Vuln: vuln, Sign: s.SignAttestation}
	if ra.KeyID, err = s.KeyID(); err != nil {
		t.Fatal(err)
	}
	if tweak != nil {
		tweak(&ra)
	}
	pushed, err := registry.Push(ctx, repo, ra)
	if err != nil {
		t.Fatalf("push %s: %v", a.Version, err)
	}
	return pushed
}

// fromRegistry makes e's deployer deploy from repo, over an artifact store
// that holds nothing: whatever runs comes from the registry.
func (e *policyEnv) fromRegistry(repo string) *bytes.Buffer {
	e.t.Helper()
	empty, err := artifact.Open(e.t.TempDir(), artifact.WithSigner(policyFixture.keyA))
	if err != nil {
		e.t.Fatal(err)
	}
	cfg := *e.d.Config
	cfg.Registry = repo
	cfg.Environments = append([]config.Environment(nil), cfg.Environments...)
	e.d.Config, e.d.Artifacts = &cfg, empty
	var out bytes.Buffer
	e.d.Out = &out
	return &out
}

// manifestOf returns the manifest digest and layer digests of repo:tag.
func manifestOf(t *testing.T, repo, tag string) (string, []string) {
	t.Helper()
	ref, err := name.ParseReference(repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatalf("%s: %v", ref, err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	h, _ := img.Digest()
	var layers []string
	for _, l := range m.Layers {
		layers = append(layers, l.Digest.String())
	}
	return h.String(), layers
}

// signWith signs attestations with good, except those whose statement
// contains marker, which it signs with other.
func signWith(good, other artifact.Signer, marker string) registry.SignFunc {
	return func(ctx context.Context, p []byte) ([]byte, error) {
		if bytes.Contains(p, []byte(marker)) {
			return other.Sign(ctx, p)
		}
		return good.Sign(ctx, p)
	}
}

// TestDeployFromRegistry: with registry: set, a deploy pulls the artifact by
// digest from a real registry (the local store holds nothing) and verifies it
// there; every kind of tampering in the registry is refused with its own error
// and message, and prod's gate judges the signed scan attestation.
func TestDeployFromRegistry(t *testing.T) {
	policySetup(t)
	f := &policyFixture
	v100 := f.v100
	hex := strings.TrimPrefix(v100.Digest, "sha256:")
	evil, _, err := writeKey(t.TempDir(), "evil")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("pulled by digest and verified", func(t *testing.T) {
		reg := registrytest.Start(t)
		e := newPolicyEnv(t, "")
		repo := reg.Host + "/team/vulnsvc"
		pushTo(t, e.arts, repo, v100, nil)
		out := e.fromRegistry(repo)
		e.accepted("dev", v100)
		if want := "pulled " + repo + "@" + v100.Digest + " and verified it there"; !strings.Contains(out.String(), want) {
			t.Errorf("deploy output does not say %q:\n%s", want, out)
		}
		// prod's gate judges the report the signed vulnerability attestation carries.
		e.refused("prod", v100, artifact.ErrVulnerable, "GO-2099-0100 high in github.com/google/go-cmp v0.7.0, reachable, fixed in v0.8.0", "prod's gate (block: high)")
	})

	tests := []struct {
		name    string
		tamper  func(t *testing.T, reg registrytest.Registry, repo string, e *policyEnv) Artifact
		env     string
		want    error
		phrases []string
	}{
		{"a flipped byte in the layer", func(t *testing.T, reg registrytest.Registry, repo string, e *policyEnv) Artifact {
			pushTo(t, e.arts, repo, v100, nil)
			_, layers := manifestOf(t, repo, v100.Version)
			flip(t, reg.Blob(layers[0]), -100)
			return v100
		}, "dev", artifact.ErrCorrupt, []string{"what the registry serves is not what was built and signed", "do not run it"}},
		{"a flipped byte in the manifest", func(t *testing.T, reg registrytest.Registry, repo string, e *policyEnv) Artifact {
			pushTo(t, e.arts, repo, v100, nil)
			path := reg.Blob(v100.Digest)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			i := bytes.Index(raw, []byte(`"size":`)) + len(`"size":`)
			flip(t, path, i) // one digit of a size: the manifest stays JSON
			return v100
		}, "dev", artifact.ErrCorrupt, []string{"manifest", "do not run it"}},
		{"a signature changed by a push", func(t *testing.T, reg registrytest.Registry, repo string, e *policyEnv) Artifact {
			pushTo(t, e.arts, repo, v100, func(a *registry.Artifact) {
				b := []byte(a.Signature)
				if b[20] == 'A' {
					b[20] = 'B'
				} else {
					b[20] = 'A'
				}
				a.Signature = string(b)
			})
			return v100
		}, "dev", artifact.ErrBadSignature, []string{"signature at sha256-" + hex + ".sig", "the key it names", "changed after signing"}},
		{"a flipped byte in the stored signature", func(t *testing.T, reg registrytest.Registry, repo string, e *policyEnv) Artifact {
			pushTo(t, e.arts, repo, v100, nil)
			_, layers := manifestOf(t, repo, "sha256-"+hex+".sig")
			flip(t, reg.Blob(layers[0]), 30)
			return v100
		}, "dev", artifact.ErrBadSignature, []string{"the signature at sha256-" + hex + ".sig does not match its digest", "changed in the registry"}},
		{"the signature removed", func(t *testing.T, reg registrytest.Registry, repo string, e *policyEnv) Artifact {
			pushTo(t, e.arts, repo, v100, nil)
			sig, _ := manifestOf(t, repo, "sha256-"+hex+".sig")
			ref, _ := name.NewDigest(repo + "@" + sig)
			if err := remote.Delete(ref); err != nil {
				t.Fatal(err)
			}
			return v100
		}, "dev", artifact.ErrUnsigned, []string{"no signature at sha256-" + hex + ".sig"}},
		{"a flipped byte in a stored attestation", func(t *testing.T, reg registrytest.Registry, repo string, e *policyEnv) Artifact {
			pushTo(t, e.arts, repo, v100, nil)
			_, layers := manifestOf(t, repo, "sha256-"+hex+".att")
			flip(t, reg.Blob(layers[1]), 40)
			return v100
		}, "dev", artifact.ErrAttestation, []string{"the attestations at sha256-" + hex + ".att do not match their digest", "changed in the registry"}},
		{"the provenance attestation re-signed by another key", func(t *testing.T, reg registrytest.Registry, repo string, e *policyEnv) Artifact {
			pushTo(t, e.arts, repo, v100, func(a *registry.Artifact) {
				a.Sign, a.KeyID = signWith(f.keyA, evil, registry.PredicateSLSA), fingerprint(t, evil)
			})
			return v100
		}, "dev", artifact.ErrAttestation, []string{"the " + registry.PredicateSLSA + " attestation at sha256-" + hex + ".att", "which dev does not trust"}},
		{"the scan report replaced by a clean one", func(t *testing.T, reg registrytest.Registry, repo string, e *policyEnv) Artifact {
			clean := fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"vulnsvc","digest":{"sha256":%q}}],`+
				`"predicateType":%q,"predicate":{"scanner":{"result":{"scanner":"govulncheck","db":"clean","mode":"binary","findings":[]}}}}`, hex, registry.PredicateVuln)
			pushTo(t, e.arts, repo, v100, func(a *registry.Artifact) {
				a.Vuln = []byte(clean)
				a.Sign, a.KeyID = signWith(f.keyA, evil, registry.PredicateVuln), fingerprint(t, evil)
			})
			return v100
		}, "prod", artifact.ErrScanBinding, []string{"the " + registry.PredicateVuln + " attestation", "which prod does not trust"}},
		{"signed by a key dev does not trust", func(t *testing.T, reg registrytest.Registry, repo string, e *policyEnv) Artifact {
			b, err := artifact.Open(e.dir, artifact.WithSigner(f.keyB))
			if err != nil {
				t.Fatal(err)
			}
			pushTo(t, b, repo, f.v110, nil)
			return f.v110
		}, "dev", artifact.ErrUntrustedKey, []string{"signed by key " + fingerprint(t, f.keyB), "which dev does not trust"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reg := registrytest.Start(t)
			e := newPolicyEnv(t, "")
			repo := reg.Host + "/team/vulnsvc"
			a := tt.tamper(t, reg, repo, e)
			e.fromRegistry(repo)
			e.refused(tt.env, a, tt.want, append(tt.phrases, a.Digest)...)
		})
	}
}

// TestPinnedPolicy: a commit that loosens prod's policy in slipway.yaml changes
// nothing when the control plane was given a policy file: its keys and gate
// hold, including the database's age; its messages name the file.
func TestPinnedPolicy(t *testing.T) {
	policySetup(t)
	f := &policyFixture
	v100 := f.v100
	reg := registrytest.Start(t)
	e := newPolicyEnv(t, "")
	repo := reg.Host + "/team/vulnsvc"
	pushTo(t, e.arts, repo, v100, nil)
	e.fromRegistry(repo)
	for i := range e.d.Config.Environments {
		if env := &e.d.Config.Environments[i]; env.Name == "prod" || env.Name == "dev" {
			env.Policy = config.Policy{} // the loosening commit: trust the signer, gate nothing
		}
	}

	pin := func(src string) string {
		t.Helper()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "b.pub"), mustRead(t, f.pubB), 0o644); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "policy.yaml")
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		pf, err := config.LoadPolicyFile(path)
		if err != nil {
			t.Fatal(err)
		}
		e.d.Pinned = pf
		return path
	}

	path := pin(fmt.Sprintf("environments:\n  prod:\n    keys: [%s]\n    vulnerabilities: {block: high, max-db-age: 36500d}\n  dev:\n    keys: [b.pub]\n", f.pubA))
	e.refused("prod", v100, artifact.ErrVulnerable, "GO-2099-0100", "or add to vulnerabilities in "+path, "allow:")
	e.refused("dev", v100, artifact.ErrUntrustedKey, "which dev does not trust", filepath.Join(filepath.Dir(path), "b.pub"), "keys in "+path)

	report := scanReport(t, e, v100)
	age, ok := report.DBAge()
	if !ok || age < 2*3600e9 {
		t.Fatalf("report DB age = %v, %v: want a scan well after the fixture database's 2026-11-20 (check the clock)", age, ok)
	}
	path = pin(fmt.Sprintf("environments:\n  prod:\n    keys: [%s]\n    vulnerabilities: {block: critical, max-db-age: 1h}\n", f.pubA))
	e.refused("prod", v100, artifact.ErrStaleDB, "last modified 2026-11-20", "accepts at most 1 hour", "max-db-age in "+path, "update the OSV database")

	pin(fmt.Sprintf("environments:\n  prod:\n    keys: [%s]\n    vulnerabilities: {block: critical, max-db-age: 36500d}\n", f.pubA))
	e.accepted("prod", v100)
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// scanReport is the scan report the fixture store holds for a.
func scanReport(t *testing.T, e *policyEnv, a Artifact) artifact.Report {
	t.Helper()
	s, err := artifact.Open(e.dir, artifact.WithSigner(policyFixture.keyA))
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(context.Background(), a.Digest)
	if err != nil {
		t.Fatal(err)
	}
	r, err := artifact.ReadReport(got.Scan)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestRestartFallsBackToTheLocalCopy: restarting what an environment runs
// uses the verified local copy when the registry cannot be reached; a new
// deploy does not.
func TestRestartFallsBackToTheLocalCopy(t *testing.T) {
	policySetup(t)
	ctx := context.Background()
	reg := registrytest.Start(t)
	e := newPolicyEnv(t, "")
	repo := reg.Host + "/team/vulnsvc"
	pushTo(t, e.arts, repo, policyFixture.v100, nil)
	cfg := *e.d.Config
	cfg.Registry = repo
	e.d.Config = &cfg
	var out bytes.Buffer
	e.d.Out = &out
	e.accepted("dev", policyFixture.v100)

	cfg.Registry = "127.0.0.1:1/team/vulnsvc" // nothing listens there
	running, err := e.d.Current(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.d.StopAll(ctx); err != nil {
		t.Fatal(err)
	}
	waitGone(t, "after StopAll", running.Instances)
	if dep, err := e.d.Restore(ctx, "dev"); err != nil || len(dep.Instances) != 1 {
		t.Fatalf("Restore with the registry down = %v, %v, want dev running from the local copy", dep.Instances, err)
	}
	if !strings.Contains(out.String(), "restarting from the verified local copy") {
		t.Errorf("restore output does not say it used the local copy:\n%s", out.String())
	}
	if _, err := e.d.Deploy(ctx, "staging", policyFixture.v100, Options{}); err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("a new deploy with the registry down = %v, want it refused naming the registry", err)
	}
}
