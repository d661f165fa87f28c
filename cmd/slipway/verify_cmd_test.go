package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/artifact"
	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/delivery"
	"github.com/slipway/slipway/internal/store"
)

// seedRelease builds vulnsvc 1.0.0 (the deploy tests' service, which links and
// calls go-cmp) into a state directory, scanned against the deploy tests' OSV
// fixture (one HIGH advisory against that go-cmp) and signed with a key of its
// own, and records the release as a control plane does.
func seedRelease(t *testing.T) (data string, a artifact.Artifact) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a service")
	}
	ctx := context.Background()
	data = t.TempDir()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	keyPath := filepath.Join(t.TempDir(), "signing.key")
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	osv, _ := filepath.Abs(filepath.Join("..", "..", "internal", "deploy", "testdata", "osv"))
	cfg, err := config.Parse("slipway.yaml", []byte(`service: vulnsvc
build: {main: ., health: /ready}
pipelines:
  main:
    steps: [{name: test, run: "true"}]
artifacts: {signing-key: `+keyPath+`, vulndb: `+osv+`}
environments:
  - name: dev
  - name: prod
    policy:
      vulnerabilities: {block: high}
`))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(data, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Put(ctx, "service", cfg.Service, cfg); err != nil {
		t.Fatal(err)
	}
	opts, err := artifact.Configure(cfg.Artifacts)
	if err != nil {
		t.Fatal(err)
	}
	arts, err := artifact.Open(filepath.Join(data, "artifacts"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "src")
	if err := os.CopyFS(src, os.DirFS(filepath.Join("..", "..", "internal", "deploy", "testdata", "vulnsvc"))); err != nil {
		t.Fatal(err)
	}
	a, err = arts.Build(ctx, artifact.BuildInput{Service: "vulnsvc", Version: "1.0.0", Commit: "0123456789abcdef",
		SourceDir: src, Main: ".", Created: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "release", "vulnsvc/1.0.0", delivery.Release{Version: "1.0.0", Artifact: a, Config: cfg}); err != nil {
		t.Fatal(err)
	}
	return data, a
}

func TestVerifyCmd(t *testing.T) {
	data, a := seedRelease(t)

	out, err := runCmd(t, newVerifyCmd(), "1.0.0", "--env", "dev", "--data", data)
	if err != nil {
		t.Fatalf("verify 1.0.0 --env dev: %v\n%s", err, out)
	}
	for _, want := range []string{a.Ref + " against the policy of dev", "ok    digest", "ok    signature", "ok    scan", "1 findings, 1 reachable", "no gate in dev", "\nverified\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("verify --env dev output lacks %q:\n%s", want, out)
		}
	}

	out, err = runCmd(t, newVerifyCmd(), a.Digest, "--env", "prod", "-o", "json", "--data", data)
	if err == nil || !strings.Contains(err.Error(), "1 of 4 checks failed") {
		t.Errorf("verify --env prod error = %v, want 1 of 4 checks failed", err)
	}
	var v struct {
		OK     bool `json:"ok"`
		Checks []struct {
			Name   string `json:"name"`
			OK     bool   `json:"ok"`
			Detail string `json:"detail"`
		} `json:"checks"`
		Findings []struct{ ID, Severity, Decision string } `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("verify -o json is not JSON: %v\n%s", err, out)
	}
	if v.OK || len(v.Checks) != 4 || !v.Checks[2].OK || v.Checks[3].OK || !strings.Contains(v.Checks[3].Detail, "GO-2099-0100 high") {
		t.Errorf("verify --env prod -o json = %s", out)
	}
	if len(v.Findings) != 1 || v.Findings[0].ID != "GO-2099-0100" || v.Findings[0].Decision != "blocks" {
		t.Errorf("findings = %+v, want GO-2099-0100 blocks", v.Findings)
	}

	// A replaced report: the scan check fails, and the gate does not judge it.
	if err := os.WriteFile(a.Scan, []byte(`{"findings":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, newVerifyCmd(), "1.0.0", "--data", data)
	if err == nil || !strings.Contains(out, "FAIL  scan") || !strings.Contains(out, "replaced or edited after signing") || !strings.Contains(out, "REFUSED") {
		t.Errorf("verify after replacing the report: %v\n%s", err, out)
	}

	if _, err := runCmd(t, newVerifyCmd(), "9.9.9", "--data", data); err == nil || !strings.Contains(err.Error(), "no release 9.9.9 of vulnsvc") {
		t.Errorf("verify 9.9.9 = %v, want no release", err)
	}
	if _, err := runCmd(t, newVerifyCmd(), "1.0.0", "--env", "qa", "--data", data); err == nil || !strings.Contains(err.Error(), `no environment "qa"`) {
		t.Errorf("verify --env qa = %v, want no environment", err)
	}
}
