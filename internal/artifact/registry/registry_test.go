package registry_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	ggcrregistry "github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/payload"

	"github.com/slipway/slipway/internal/artifact/registry"
	"github.com/slipway/slipway/internal/artifact/registry/registrytest"
)

// signed is an artifact as the artifact store makes one: an image, the
// simple-signing payload of its digest signed with key, an SBOM and provenance.
func signed(t *testing.T, key *ecdsa.PrivateKey, version string) registry.Artifact {
	t.Helper()
	img, err := random.Image(2048, 1)
	if err != nil {
		t.Fatal(err)
	}
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	sv, err := signature.LoadECDSASignerVerifier(key, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(ctx context.Context, p []byte) ([]byte, error) { return sv.SignMessage(bytes.NewReader(p)) }
	ref, err := name.NewDigest("contract-api@" + h.String())
	if err != nil {
		t.Fatal(err)
	}
	p, err := json.Marshal(payload.Cosign{Image: ref, ClaimedIdentity: "contract-api", Annotations: map[string]any{"dev.slipway/version": version}})
	if err != nil {
		t.Fatal(err)
	}
	sig, err := sign(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	prov := fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"contract-api","digest":{"sha256":%q}}],`+
		`"predicateType":"https://slsa.dev/provenance/v1","predicate":{"buildDefinition":{"buildType":"https://slipway.dev/buildtypes/go-binary/v1"},"runDetails":{"builder":{"id":"slipway"}}}}`, h.Hex)
	vuln := fmt.Sprintf(`{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"contract-api","digest":{"sha256":%q}}],`+
		`"predicateType":%q,"predicate":{"scanner":{"uri":"https://pkg.go.dev/golang.org/x/vuln/cmd/govulncheck","result":{"findings":[]}}}}`, h.Hex, registry.PredicateVuln)
	return registry.Artifact{Image: img, Version: version, Payload: p, Signature: base64.StdEncoding.EncodeToString(sig),
		SBOM: []byte(`{"bomFormat":"CycloneDX","specVersion":"1.5","components":[{"type":"library","name":"golang.org/x/text"}]}`), Provenance: []byte(prov),
		Vuln: []byte(vuln), Sign: sign}
}

func newKey(t *testing.T) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := cryptoutils.MarshalPublicKeyToPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return key, pub
}

// TestPushPull pushes an artifact to a real registry (distribution 2.8, which
// has no referrers API), finds its attachments by digest through cosign's tags
// and through the referrers tag scheme, pulls it by digest, and catches a
// flipped byte in the stored manifest.
func TestPushPull(t *testing.T) {
	reg := registrytest.Start(t)
	ctx := context.Background()
	key, pub := newKey(t)
	a := signed(t, key, "1.12.0")
	repo := reg.Host + "/team/contract-api"

	pushed, err := registry.Push(ctx, repo, a)
	if err != nil {
		t.Fatalf("Push: %v", err)
	}
	h, _ := a.Image.Digest()
	want := registry.Pushed{Ref: repo + "@" + h.String(), Digest: h.String(), Tag: repo + ":1.12.0",
		Signature: repo + ":sha256-" + h.Hex + ".sig", Attestations: repo + ":sha256-" + h.Hex + ".att", SBOM: repo + ":sha256-" + h.Hex + ".sbom"}
	if pushed != want {
		t.Fatalf("Push = %+v, want %+v", pushed, want)
	}

	img, err := registry.Pull(ctx, pushed.Ref, pub)
	if err != nil {
		t.Fatalf("Pull(%s): %v", pushed.Ref, err)
	}
	if got, _ := img.Digest(); got != h {
		t.Errorf("Pull digest = %s, want %s", got, h)
	}
	_, other := newKey(t)
	if _, err := registry.Pull(ctx, pushed.Ref, other); !errors.Is(err, registry.ErrBadSignature) {
		t.Errorf("Pull with another key: err = %v, want ErrBadSignature", err)
	}

	found, err := registry.Find(ctx, pushed.Ref)
	if err != nil {
		t.Fatalf("Find: %v", err)
	}
	if len(found.Signatures) != 1 || !bytes.Equal(found.Signatures[0].Payload, a.Payload) || found.Signatures[0].Signature != a.Signature {
		t.Errorf("Find signatures = %+v, want the store's payload and signature", found.Signatures)
	}
	sbomStmt, err := found.Verify(registry.PredicateCycloneDX, pub)
	if err != nil {
		t.Fatalf("Verify(cyclonedx): %v", err)
	}
	if !bytes.Contains(sbomStmt, []byte(`"predicate":{"bomFormat":"CycloneDX"`)) || !bytes.Contains(sbomStmt, []byte(h.Hex)) {
		t.Errorf("SBOM statement = %s, want the CycloneDX document about %s", sbomStmt, h)
	}
	provStmt, err := found.Verify(registry.PredicateSLSA, pub)
	if err != nil || !bytes.Equal(provStmt, a.Provenance) {
		t.Errorf("Verify(slsa) = %s, %v; want the provenance as built", provStmt, err)
	}
	if vulnStmt, err := found.Verify(registry.PredicateVuln, pub); err != nil || !bytes.Equal(vulnStmt, a.Vuln) {
		t.Errorf("Verify(vuln) = %s, %v; want the scan statement pushed", vulnStmt, err)
	}
	if _, err := found.Verify(registry.PredicateSLSA, other); !errors.Is(err, registry.ErrBadSignature) {
		t.Errorf("Verify(slsa) with another key: err = %v, want ErrBadSignature", err)
	}
	if !bytes.Equal(found.SBOM, a.SBOM) {
		t.Errorf("Find SBOM = %s, want %s", found.SBOM, a.SBOM)
	}

	refs, err := registry.Referrers(ctx, pushed.Ref)
	if err != nil {
		t.Fatalf("Referrers: %v", err)
	}
	kinds := map[string]bool{}
	for _, d := range refs {
		kinds[d.Annotations["dev.slipway/attachment"]] = true
	}
	if len(refs) != 3 || !kinds["signature"] || !kinds["attestations"] || !kinds["sbom"] {
		t.Errorf("Referrers = %+v, want the signature, attestations and sbom manifests", refs)
	}

	// distribution 2.8 has no referrers API: the attachments are listed in
	// the referrers tag scheme's index.
	if _, err := remote.Head(mustTag(t, repo+":sha256-"+h.Hex)); err != nil {
		t.Errorf("referrers tag %s:sha256-%s: %v, want the fallback index", repo, h.Hex, err)
	}

	// Pushing again changes nothing: same references, same attestations.
	again, err := registry.Push(ctx, repo, a)
	if err != nil || again != pushed {
		t.Errorf("Push again = %+v, %v; want %+v", again, err, pushed)
	}
	if refs2, err := registry.Referrers(ctx, pushed.Ref); err != nil || len(refs2) != 3 {
		t.Errorf("Referrers after a second push = %d, %v; want 3", len(refs2), err)
	}

	// A version tag never moves.
	b := signed(t, key, "1.12.0")
	if _, err := registry.Push(ctx, repo, b); !errors.Is(err, registry.ErrTagMoved) {
		t.Errorf("Push of another digest as 1.12.0: err = %v, want ErrTagMoved", err)
	}

	// A flipped byte in the stored manifest is caught on pull.
	path := reg.Blob(h.String())
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(raw, []byte(`"size":`))
	if i < 0 {
		t.Fatalf("no size in the stored manifest: %s", raw)
	}
	flipped := bytes.Clone(raw)
	flipped[i+len(`"size":`)] ^= 0x01 // one digit of a size: still valid JSON
	if err := os.WriteFile(path, flipped, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := registry.Pull(ctx, pushed.Ref, pub); !errors.Is(err, registry.ErrCorrupt) {
		t.Errorf("Pull of a flipped manifest: err = %v, want ErrCorrupt", err)
	} else {
		t.Logf("flipped manifest: %v", err)
	}
}

// TestPushRefuses checks what a push refuses before it sends anything.
func TestPushRefuses(t *testing.T) {
	ctx := context.Background()
	key, _ := newKey(t)
	a := signed(t, key, "1.0.0")
	b := signed(t, key, "1.0.0")
	mismatched := a
	mismatched.Payload = b.Payload
	if _, err := registry.Push(ctx, "127.0.0.1:1/x", mismatched); !errors.Is(err, registry.ErrBadSignature) {
		t.Errorf("Push of a payload about another digest: err = %v, want ErrBadSignature", err)
	}
	if _, err := registry.Push(ctx, "contract-api", a); err == nil || !strings.Contains(err.Error(), "host:port/repository") {
		t.Errorf("Push to a bare name: err = %v, want a message about the host", err)
	}
	noProv := a
	noProv.Provenance = []byte(`{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}`)
	if _, err := registry.Push(ctx, "127.0.0.1:1/x", noProv); err == nil || !strings.Contains(err.Error(), "provenance") {
		t.Errorf("Push with provenance about nothing: err = %v, want a provenance error", err)
	}
}

func TestParseRepository(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "127.0.0.1:5000/contract-api", want: "127.0.0.1:5000/contract-api"},
		{in: "registry.example.com/team/contract-api", want: "registry.example.com/team/contract-api"},
		{in: "localhost/contract-api", want: "localhost/contract-api"},
		{in: "", err: "empty"},
		{in: "https://registry.example.com/x", err: "without a scheme"},
		{in: "registry.example.com", err: "name a repository"},
		{in: "registry.example.com/", err: "name a repository"},
		{in: "contract-api/x", err: "not a registry host"},
		{in: "127.0.0.1:5000/contract-api:1.0", err: "without a tag or digest"},
		{in: "127.0.0.1:5000/contract-api@sha256:abc", err: "without a tag or digest"},
		{in: "127.0.0.1:5000/Contract-API", err: "lower-case"},
	}
	for _, tt := range tests {
		got, err := registry.ParseRepository(tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseRepository(%q) error = %v, want one saying %q", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || got.String() != tt.want):
			t.Errorf("ParseRepository(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func mustTag(t *testing.T, s string) name.Tag {
	t.Helper()
	tag, err := name.NewTag(s)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

// TestReferrersAPI pushes to a registry that has the OCI 1.1 referrers API
// (go-containerregistry's, with referrers enabled): the attachments are found
// through the API, and no referrers tag is written.
func TestReferrersAPI(t *testing.T) {
	srv := httptest.NewServer(ggcrregistry.New(ggcrregistry.WithReferrersSupport(true), ggcrregistry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	ctx := context.Background()
	key, pub := newKey(t)
	a := signed(t, key, "2.0.0")
	repo := strings.TrimPrefix(srv.URL, "http://") + "/team/contract-api"
	pushed, err := registry.Push(ctx, repo, a)
	if err != nil {
		t.Fatalf("Push: %v", err)
	}
	refs, err := registry.Referrers(ctx, pushed.Ref)
	if err != nil || len(refs) != 3 {
		t.Fatalf("Referrers = %+v, %v; want the signature, attestations and sbom", refs, err)
	}
	h, _ := a.Image.Digest()
	if _, err := remote.Head(mustTag(t, repo+":sha256-"+h.Hex)); err == nil {
		t.Errorf("a referrers tag sha256-%s was written to a registry with the referrers API", h.Hex)
	}
	if _, err := registry.Pull(ctx, pushed.Ref, pub); err != nil {
		t.Errorf("Pull: %v", err)
	}
}
