package deploy

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/artifact"
	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/runtime/local"
	"github.com/slipway/slipway/internal/store"
)

// policyFixture is the state the policy tests start from: a store holding
// vulnsvc 1.0.0 signed with key A and 1.1.0 signed with key B, both scanned
// against testdata/osv, whose one advisory (HIGH) hits the go-cmp the service
// links and calls.
var policyFixture struct {
	once       sync.Once
	err        error
	dir        string // the store to copy
	keyA       *artifact.KeySigner
	keyB       *artifact.KeySigner
	pubA       string // PEM file paths
	pubB       string
	v100, v110 Artifact
}

func policySetup(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the service")
	}
	f := &policyFixture
	f.once.Do(func() { f.err = buildPolicyFixture() })
	if f.err != nil {
		t.Fatal(f.err)
	}
}

func buildPolicyFixture() error {
	f := &policyFixture
	root := filepath.Join(artifactsDir, "policy")
	src := filepath.Join(root, "src")
	if err := os.CopyFS(src, os.DirFS(filepath.Join("testdata", "vulnsvc"))); err != nil {
		return err
	}
	osv, err := filepath.Abs(filepath.Join("testdata", "osv"))
	if err != nil {
		return err
	}
	if f.keyA, f.pubA, err = writeKey(root, "a"); err != nil {
		return err
	}
	if f.keyB, f.pubB, err = writeKey(root, "b"); err != nil {
		return err
	}
	f.dir = filepath.Join(root, "store")
	for _, b := range []struct {
		key     *artifact.KeySigner
		version string
		out     *Artifact
	}{{f.keyA, "1.0.0", &f.v100}, {f.keyB, "1.1.0", &f.v110}} {
		s, err := artifact.Open(f.dir, artifact.WithSigner(b.key), artifact.WithVulnDB(osv))
		if err != nil {
			return err
		}
		a, err := s.Build(context.Background(), artifact.BuildInput{Service: "vulnsvc", Version: b.version,
			Commit: "0123456789abcdef", SourceDir: src, Main: ".", Created: time.Unix(1700000000, 0)})
		if err != nil {
			return fmt.Errorf("build %s: %w", b.version, err)
		}
		*b.out = Artifact{Service: a.Service, Version: a.Version, Digest: a.Digest}
	}
	return nil
}

// writeKey makes a key pair: root/<name>.key (0600) and root/<name>.pub.
func writeKey(root, name string) (*artifact.KeySigner, string, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, "", err
	}
	priv := filepath.Join(root, name+".key")
	if err := os.WriteFile(priv, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return nil, "", err
	}
	k, err := artifact.LoadSigner(priv)
	if err != nil {
		return nil, "", err
	}
	pub := filepath.Join(root, name+".pub")
	return k, pub, os.WriteFile(pub, k.PublicKey(), 0o644)
}

// policyEnv is a deployer of vulnsvc over a fresh copy of the fixture store,
// whose control plane signs with key A. Its environments: dev trusts A; staging
// trusts A and B (a rotation); prod trusts A and blocks high findings, with
// the allowances given; lab names no key (it trusts the signer, A).
type policyEnv struct {
	t     *testing.T
	d     *Deployer
	arts  *artifact.Store
	store *store.Store
	dir   string
}

func newPolicyEnv(t *testing.T, allow string) *policyEnv {
	t.Helper()
	policySetup(t)
	f := &policyFixture
	ctx := context.Background()
	dir := t.TempDir()
	artDir := filepath.Join(dir, "artifacts")
	if err := os.CopyFS(artDir, os.DirFS(f.dir)); err != nil {
		t.Fatal(err)
	}
	arts, err := artifact.Open(artDir, artifact.WithSigner(f.keyA))
	if err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf(`service: vulnsvc
build: {main: ., health: /ready}
pipelines:
  main:
    steps: [{name: test, run: "true"}]
environments:
  - name: dev
    policy: {keys: [%[1]s]}
  - name: staging
    policy: {keys: [%[1]s, %[2]s]}
  - name: prod
    policy:
      keys: [%[1]s]
      vulnerabilities:
        block: high
        allow: [%[3]s]
  - name: lab
`, f.pubA, f.pubB, allow)
	cfg, err := config.Parse("slipway.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(dir, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	routers := map[string]*testRouter{}
	for _, e := range cfg.Environments {
		routers[e.Name] = startRouter(t)
	}
	splitter := func(service, env string) rollout.Splitter { return routers[env].client }
	target := &local.Target{StartTimeout: 15 * time.Second, Grace: 2 * time.Second}
	d := &Deployer{Config: cfg, Store: st, Artifacts: arts, Target: target, Router: splitter, Dir: dir,
		Rollouts: &rollout.Controller{Store: st, Router: splitter}}
	t.Cleanup(func() {
		for _, e := range cfg.Environments {
			if dep, err := d.Current(ctx, e.Name); err == nil {
				d.stop(ctx, dep.all())
			}
		}
	})
	return &policyEnv{t: t, d: d, arts: arts, store: st, dir: artDir}
}

// refused deploys a to env and checks it is refused with want, every phrase
// in its message, and that nothing runs and nothing is recorded as deployed.
func (e *policyEnv) refused(env string, a Artifact, want error, phrases ...string) {
	e.t.Helper()
	_, err := e.d.Deploy(context.Background(), env, a, Options{})
	if !errors.Is(err, want) {
		e.t.Fatalf("deploy %s to %s: error %v, want %v", a.Version, env, err, want)
	}
	e.t.Logf("refused: %v", err)
	for _, p := range phrases {
		if !strings.Contains(err.Error(), p) {
			e.t.Errorf("deploy %s to %s: error %q does not say %q", a.Version, env, err, p)
		}
	}
	if _, err := e.d.Current(context.Background(), env); !errors.Is(err, store.ErrNotFound) {
		e.t.Errorf("refused deploy left a deployment record in %s (%v)", env, err)
	}
	evs, _ := e.store.Events(context.Background(), store.Filter{Kinds: []string{"deploy.failed"}})
	if len(evs) == 0 || !strings.Contains(evs[len(evs)-1].Message, a.Digest) {
		e.t.Errorf("refusal not journaled with the digest (events %v)", evs)
	}
}

func (e *policyEnv) accepted(env string, a Artifact) {
	e.t.Helper()
	res, err := e.d.Deploy(context.Background(), env, a, Options{})
	if err != nil || res.Outcome != Deployed {
		e.t.Fatalf("deploy %s to %s = %v, %v, want deployed", a.Version, env, res.Outcome, err)
	}
}

// artifactFile is a per-digest file of a in the copied store.
func (e *policyEnv) artifactFile(a Artifact, name string) string {
	return filepath.Join(e.dir, "artifacts", strings.Replace(a.Digest, ":", "-", 1), name)
}

// blob is the layout path of a blob.
func (e *policyEnv) blob(digest string) string {
	return filepath.Join(e.dir, "oci", "blobs", "sha256", strings.TrimPrefix(digest, "sha256:"))
}

func flip(t *testing.T, path string, at int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if at < 0 {
		at += len(b)
	}
	b[at] ^= 0x01
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// swapBase64 replaces the base64 character at offset at with another one, so
// that the text still decodes, to other bytes.
func swapBase64(t *testing.T, path string, at int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if b[at] == 'A' {
		b[at] = 'B'
	} else {
		b[at] = 'A'
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestDeployRefusesWhatDoesNotVerify: every kind of tampering is refused at
// deploy, each with its own error and a message that says what and what to do.
func TestDeployRefusesWhatDoesNotVerify(t *testing.T) {
	policySetup(t)
	tests := []struct {
		name    string
		tamper  func(t *testing.T, e *policyEnv, a Artifact) Artifact
		env     string
		want    error
		phrases []string
	}{
		{"a flipped byte in the layer", func(t *testing.T, e *policyEnv, a Artifact) Artifact {
			var m struct{ Layers []struct{ Digest string } }
			b, _ := os.ReadFile(e.blob(a.Digest))
			if err := json.Unmarshal(b, &m); err != nil || len(m.Layers) != 1 {
				t.Fatalf("manifest: %v", err)
			}
			flip(t, e.blob(m.Layers[0].Digest), -100)
			return a
		}, "dev", artifact.ErrCorrupt, []string{"blob sha256:", "rebuild the release"}},
		{"a flipped byte in the manifest", func(t *testing.T, e *policyEnv, a Artifact) Artifact {
			flip(t, e.blob(a.Digest), -3)
			return a
		}, "dev", artifact.ErrCorrupt, []string{"manifest blob " + a100(), "do not run it"}},
		{"a flipped byte in the signature", func(t *testing.T, e *policyEnv, a Artifact) Artifact {
			swapBase64(t, e.artifactFile(a, "signature.sig"), 20)
			return a
		}, "dev", artifact.ErrBadSignature, []string{"signature file", "the key it names", "changed after signing"}},
		{"a flipped byte in the signed scan statement", func(t *testing.T, e *policyEnv, a Artifact) Artifact {
			flip(t, e.artifactFile(a, "scan.att.json"), 120)
			return a
		}, "dev", artifact.ErrScanBinding, []string{"scan statement"}},
		{"the scan report replaced", func(t *testing.T, e *policyEnv, a Artifact) Artifact {
			clean := `{"scanner":"govulncheck","db":"clean","mode":"binary","reachable":0,"findings":[]}` + "\n"
			if err := os.WriteFile(e.artifactFile(a, "scan.json"), []byte(clean), 0o644); err != nil {
				t.Fatal(err)
			}
			return a
		}, "prod", artifact.ErrScanBinding, []string{"the report was replaced or edited after signing", "rebuild the release"}},
		{"unsigned", func(t *testing.T, e *policyEnv, a Artifact) Artifact {
			os.Remove(e.artifactFile(a, "signature.sig"))
			return a
		}, "dev", artifact.ErrUnsigned, []string{"has no signature"}},
		{"signed by a key dev does not trust", func(t *testing.T, e *policyEnv, a Artifact) Artifact {
			return policyFixture.v110 // signed with B; dev trusts A only
		}, "dev", artifact.ErrUntrustedKey, []string{"signed by key " + fingerprint(t, policyFixture.keyB), "which dev does not trust", fingerprint(t, policyFixture.keyA), "policy.keys"}},
		{"a key swapped in the state directory", func(t *testing.T, e *policyEnv, a Artifact) Artifact {
			return forge(t, e)
		}, "lab", artifact.ErrUntrustedKey, []string{"which lab does not trust", "signing key " + policyFixture.keyA.Source}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newPolicyEnv(t, "")
			a := tt.tamper(t, e, policyFixture.v100)
			e.refused(tt.env, a, tt.want, append(tt.phrases, a.Digest)...)
		})
	}
}

func a100() string { return policyFixture.v100.Digest }

func fingerprint(t *testing.T, k artifact.Signer) string {
	t.Helper()
	fp, err := artifact.Fingerprint(k.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	return fp
}

// forge does what once made a forged artifact deploy: an attacker who can write
// the state directory puts their own key there as keys/signing.key and builds
// and signs their artifact with it. The control plane never reads that key:
// it signs with A and, where no policy names keys, trusts A.
func forge(t *testing.T, e *policyEnv) Artifact {
	t.Helper()
	evil, _, err := writeKey(t.TempDir(), "evil")
	if err != nil {
		t.Fatal(err)
	}
	keys := filepath.Join(e.dir, "keys")
	os.MkdirAll(keys, 0o700)
	evilPath := filepath.Join(keys, "signing.key")
	src, _ := os.ReadFile(filepath.Join(filepath.Dir(evil.Source), "evil.key"))
	if err := os.WriteFile(evilPath, src, 0o600); err != nil {
		t.Fatal(err)
	}
	// Slipway refuses to sign with a key inside the artifact store.
	inside, err := artifact.LoadSigner(evilPath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := artifact.Open(e.dir, artifact.WithSigner(inside)); err == nil || !strings.Contains(err.Error(), "lies inside the artifact store") {
		t.Errorf("Open with a key inside the store = %v, want a refusal", err)
	}
	// The attacker's own tool signs with it anyway.
	s, err := artifact.Open(e.dir, artifact.WithSigner(evil))
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Build(context.Background(), artifact.BuildInput{Service: "vulnsvc", Version: "1.0.0-evil",
		Commit: "0123456789abcdef", SourceDir: filepath.Join(artifactsDir, "policy", "src"), Main: ".", Created: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	return Artifact{Service: a.Service, Version: a.Version, Digest: a.Digest}
}

// TestDeployAcceptsEitherKeyDuringRotation: staging trusts A and B, so artifacts
// signed with either deploy there.
func TestDeployAcceptsEitherKeyDuringRotation(t *testing.T) {
	e := newPolicyEnv(t, "")
	e.accepted("staging", policyFixture.v100)
	e.accepted("staging", policyFixture.v110)
}

// TestVulnerabilityGate: the scan reports the fixture's advisory against go-cmp,
// reachable and rated high; prod's gate refuses it, an allowance lets it through
// until its date, and an expired one says so.
func TestVulnerabilityGate(t *testing.T) {
	policySetup(t)
	a := policyFixture.v100
	e := newPolicyEnv(t, "")
	got, err := e.arts.Get(context.Background(), a.Digest)
	if err != nil {
		t.Fatal(err)
	}
	r, err := artifact.ReadReport(got.Scan)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Findings) != 1 {
		t.Fatalf("findings = %+v, want GO-2099-0100 only", r.Findings)
	}
	f := r.Findings[0]
	if f.ID != "GO-2099-0100" || f.Module != "github.com/google/go-cmp" || !f.Reachable || f.Level != "symbol" ||
		f.Severity != "high" || f.SeveritySource != "database_specific.severity HIGH" {
		t.Errorf("finding = %+v, want GO-2099-0100 in go-cmp, reachable, high from database_specific", f)
	}
	if want := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC); !r.DBModified.Equal(want) || !strings.Contains(r.DB, "testdata/osv") {
		t.Errorf("report database = %q modified %v, want testdata/osv modified %v", r.DB, r.DBModified, want)
	}

	e.refused("prod", a, artifact.ErrVulnerable, "GO-2099-0100 high in github.com/google/go-cmp v0.7.0, reachable, fixed in v0.8.0",
		"prod's gate (block: high)", "allow:")
	e.accepted("dev", a) // dev has no gate

	allow := "{id: CVE-2099-0100, until: 2027-01-31, reason: only internal callers diff}"
	before := newPolicyEnv(t, allow)
	before.d.Now = func() time.Time { return time.Date(2027, 1, 31, 23, 0, 0, 0, time.UTC) }
	before.accepted("prod", a)

	// Once the allowance expired, what prod runs still restarts (a recovery is
	// not a new admission); a new deploy of it is refused, below.
	ctx := context.Background()
	before.d.Now = func() time.Time { return time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC) }
	running, err := before.d.Current(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if err := before.d.StopAll(ctx); err != nil {
		t.Fatal(err)
	}
	waitGone(t, "after StopAll", running.Instances)
	if dep, err := before.d.Restore(ctx, "prod"); err != nil || len(dep.Instances) != 1 {
		t.Errorf("Restore of prod after the allowance expired = %v, %v, want it running again", dep.Instances, err)
	}

	after := newPolicyEnv(t, allow)
	after.d.Now = func() time.Time { return time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC) }
	after.refused("prod", a, artifact.ErrVulnerable, "its allowance expired after 2027-01-31 (only internal callers diff)")
}
