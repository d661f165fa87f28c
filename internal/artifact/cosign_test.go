package artifact

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/artifact/registry"
	"github.com/slipway/slipway/internal/artifact/registry/registrytest"
)

// envCosign names a cosign binary for the interoperability test; else cosign
// is looked up on PATH and in $(go env GOPATH)/bin, where scripts/test-deps.sh
// installs it.
const envCosign = "SLIPWAY_COSIGN"

func cosignBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv(envCosign); p != "" {
		return p
	}
	if p, err := exec.LookPath("cosign"); err == nil {
		return p
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "bin", "cosign")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Skip("cosign is not installed: the cosign interoperability test is skipped (go install github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3, or run scripts/test-deps.sh)")
	return ""
}

// TestCosignVerifiesTheRegistryCopy pushes a built artifact to a real registry
// as a release does and runs the cosign commands the README gives a user:
// cosign verify, and cosign verify-attestation for the SBOM, the provenance
// and the vulnerability scan. Another key is refused.
func TestCosignVerifiesTheRegistryCopy(t *testing.T) {
	cosign := cosignBinary(t)
	reg := registrytest.Start(t)
	ctx := context.Background()
	s, a, _ := sharedBuild(t)
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
	pushed, err := registry.Push(ctx, reg.Host+"/team/hello", registry.Artifact{Image: img, Version: a.Version, Payload: read(a.Payload),
		Signature: strings.TrimSpace(string(read(a.Signature))), SBOM: read(a.SBOM), Provenance: read(a.Provenance),
		Vuln: vuln, KeyID: keyID, Sign: s.SignAttestation})
	if err != nil {
		t.Fatal(err)
	}
	pub := filepath.Join(t.TempDir(), "signing.pub")
	if err := os.WriteFile(pub, s.PublicKey(), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, error) {
		cmd := exec.CommandContext(ctx, cosign, args...)
		cmd.Env = append(os.Environ(), "COSIGN_YES=true", "TUF_ROOT="+t.TempDir())
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		t.Logf("cosign %s\n%s", strings.Join(args, " "), stderr.String())
		return stdout.String(), err
	}
	common := []string{"--key", pub, "--insecure-ignore-tlog", "--allow-http-registry"}

	out, err := run(append(append([]string{"verify"}, common...), pushed.Ref)...)
	if err != nil {
		t.Fatalf("cosign verify: %v\n%s", err, out)
	}
	if !strings.Contains(out, `"docker-manifest-digest":"`+a.Digest+`"`) {
		t.Errorf("cosign verify printed %s, want the signed digest %s", out, a.Digest)
	}
	for typ, want := range map[string]string{"cyclonedx": registry.PredicateCycloneDX, "slsaprovenance1": registry.PredicateSLSA, "vuln": registry.PredicateVuln} {
		out, err := run(append(append([]string{"verify-attestation"}, common...), "--type", typ, pushed.Ref)...)
		if err != nil {
			t.Errorf("cosign verify-attestation --type %s: %v\n%s", typ, err, out)
			continue
		}
		if got := predicateTypes(t, out); len(got) != 1 || got[0] != want {
			t.Errorf("cosign verify-attestation --type %s verified %v, want [%s]", typ, got, want)
		}
	}

	other := filepath.Join(t.TempDir(), "other.pub")
	if err := os.WriteFile(other, newKey(t).PublicKey(), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := run("verify", "--key", other, "--insecure-ignore-tlog", "--allow-http-registry", pushed.Ref); err == nil {
		t.Errorf("cosign verify with another key passed:\n%s", out)
	}
}

// predicateTypes reads cosign verify-attestation's output (one DSSE envelope
// per line) and returns the predicate types of the statements.
func predicateTypes(t *testing.T, out string) []string {
	t.Helper()
	var types []string
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var env struct{ Payload string }
		if err := json.Unmarshal(sc.Bytes(), &env); err != nil {
			t.Fatalf("cosign verify-attestation output is not DSSE JSON: %v\n%s", err, sc.Text())
		}
		body, err := base64.StdEncoding.DecodeString(env.Payload)
		if err != nil {
			t.Fatal(err)
		}
		var st struct {
			PredicateType string `json:"predicateType"`
		}
		if err := json.Unmarshal(body, &st); err != nil {
			t.Fatal(err)
		}
		types = append(types, st.PredicateType)
	}
	return types
}
