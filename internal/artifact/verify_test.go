package artifact

import (
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/match"
)

// blobPath is where the layout keeps blob h.
func blobPath(s *Store, h v1.Hash) string {
	return filepath.Join(string(s.oci), "blobs", h.Algorithm, h.Hex)
}

func manifestOf(t *testing.T, s *Store, a Artifact) (v1.Hash, *v1.Manifest) {
	t.Helper()
	h, err := v1.NewHash(a.Digest)
	if err != nil {
		t.Fatal(err)
	}
	img, err := s.oci.Image(h)
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	return h, m
}

func flipByte(t *testing.T, path string, at int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if at < 0 {
		at = len(b) + at
	}
	b[at] ^= 0x01
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// otherKeySignature signs payload with a freshly made key from another store.
func otherKeySignature(t *testing.T, payload []byte) string {
	t.Helper()
	sig, err := newKey(t).Sign(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func TestVerifyRefusesTampering(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		tamper func(t *testing.T, s *Store, a Artifact) *Store // may return a reopened store
		want   error
		msg    string
	}{
		{"layer blob changed", func(t *testing.T, s *Store, a Artifact) *Store {
			_, m := manifestOf(t, s, a)
			flipByte(t, blobPath(s, m.Layers[0].Digest), -100)
			return s
		}, ErrCorrupt, "blob sha256:"},
		{"layer blob removed", func(t *testing.T, s *Store, a Artifact) *Store {
			_, m := manifestOf(t, s, a)
			os.Remove(blobPath(s, m.Layers[0].Digest))
			return s
		}, ErrCorrupt, "is missing"},
		{"config blob changed", func(t *testing.T, s *Store, a Artifact) *Store {
			_, m := manifestOf(t, s, a)
			flipByte(t, blobPath(s, m.Config.Digest), 10)
			return s
		}, ErrCorrupt, "blob sha256:"},
		{"manifest blob changed", func(t *testing.T, s *Store, a Artifact) *Store {
			h, _ := manifestOf(t, s, a)
			flipByte(t, blobPath(s, h), -3)
			return s
		}, ErrCorrupt, "manifest blob"},
		{"image dropped from index", func(t *testing.T, s *Store, a Artifact) *Store {
			if err := s.oci.RemoveDescriptors(match.Annotation(refNameKey, "hello:1.2.3")); err != nil {
				t.Fatal(err)
			}
			return s
		}, ErrCorrupt, "not in the layout index"},
		{"signature file from another key", func(t *testing.T, s *Store, a Artifact) *Store {
			payload, _ := os.ReadFile(a.Payload)
			writeFile(t, a.Signature, otherKeySignature(t, payload))
			return s
		}, ErrBadSignature, "signature file"},
		{"signature file garbled", func(t *testing.T, s *Store, a Artifact) *Store {
			writeFile(t, a.Signature, "not base64 !!")
			return s
		}, ErrBadSignature, "not base64"},
		{"payload names another digest", func(t *testing.T, s *Store, a Artifact) *Store {
			payload, _ := os.ReadFile(a.Payload)
			d, _ := parseDigest(a.Digest)
			forged := strings.Replace(string(payload), d.hex, strings.Repeat("0", 64), 1)
			writeFile(t, a.Payload, forged)
			writeFile(t, a.Signature, storeSign(t, s, []byte(forged))) // even the right key cannot make it fit
			return s
		}, ErrBadSignature, "payload signs digest"},
		{"version in metadata changed", func(t *testing.T, s *Store, a Artifact) *Store {
			p := filepath.Join(filepath.Dir(a.SBOM), fileRecord)
			b, _ := os.ReadFile(p)
			writeFile(t, p, strings.Replace(string(b), `"1.2.3"`, `"9.9.9"`, 1))
			return s
		}, ErrBadSignature, "dev.slipway/version"},
		{"sbom changed", func(t *testing.T, s *Store, a Artifact) *Store {
			flipByte(t, a.SBOM, 40)
			return s
		}, ErrBadSignature, "dev.slipway/sbom"},
		{"signature attachment from another key", func(t *testing.T, s *Store, a Artifact) *Store {
			payload, _ := os.ReadFile(a.Payload)
			img, err := attachment(payload, simpleSigningType, map[string]string{cosignSigKey: otherKeySignature(t, payload)})
			if err != nil {
				t.Fatal(err)
			}
			d, _ := parseDigest(a.Digest)
			if err := putImage(s.oci, img, "hello:"+d.tag("sig")); err != nil {
				t.Fatal(err)
			}
			return s
		}, ErrBadSignature, "attachment"},
		{"signature attachment removed", func(t *testing.T, s *Store, a Artifact) *Store {
			d, _ := parseDigest(a.Digest)
			if err := s.oci.RemoveDescriptors(match.Annotation(refNameKey, "hello:"+d.tag("sig"))); err != nil {
				t.Fatal(err)
			}
			return s
		}, ErrBadSignature, "no signature image"},
		{"re-signed with another key", func(t *testing.T, s *Store, a Artifact) *Store {
			resign(t, s, a, newKey(t))
			return s
		}, ErrUntrustedKey, "signed by key sha256:"},
		{"scan report replaced", func(t *testing.T, s *Store, a Artifact) *Store {
			writeFile(t, a.Scan, `{"scanner":"govulncheck","db":"x","mode":"binary","findings":[]}`+"\n")
			return s
		}, ErrScanBinding, "was replaced or edited after signing"},
		{"scan statement changed", func(t *testing.T, s *Store, a Artifact) *Store {
			flipByte(t, a.ScanStatement, 60)
			return s
		}, ErrScanBinding, "scan statement"},
		{"scan statement removed", func(t *testing.T, s *Store, a Artifact) *Store {
			os.Remove(a.ScanStatement)
			return s
		}, ErrUnsigned, "no signed scan statement"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, a, _ := sharedBuild(t)
			s = tt.tamper(t, s, a)

			err := s.Verify(ctx, a.Digest)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Verify error = %v, want %v mentioning %q", err, tt.want, tt.msg)
			}
			dest := t.TempDir()
			if _, err := s.Extract(ctx, a.Digest, dest, Policy{}); !errors.Is(err, tt.want) {
				t.Errorf("Extract error = %v, want %v", err, tt.want)
			}
			if entries, _ := os.ReadDir(dest); len(entries) != 0 {
				t.Errorf("refused Extract left %d files in %s", len(entries), dest)
			}
		})
	}
}

func TestVerifyWithKey(t *testing.T) {
	ctx := context.Background()
	s, a, _ := sharedBuild(t)
	if err := s.VerifyWithKey(ctx, a.Digest, s.PublicKey()); err != nil {
		t.Errorf("VerifyWithKey(own key): %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir(), "keys")); err == nil {
		t.Errorf("the store made a keys directory: no key may live beside the artifacts")
	}
	if err := s.VerifyWithKey(ctx, a.Digest, newKey(t).PublicKey()); !errors.Is(err, ErrUntrustedKey) {
		t.Errorf("VerifyWithKey(another key) = %v, want ErrUntrustedKey", err)
	}
	if err := s.VerifyWithKey(ctx, a.Digest, []byte("not a key")); err == nil {
		t.Errorf("VerifyWithKey(garbage key) = nil, want an error")
	}
}

func TestExtractRechecksLayerWhileReading(t *testing.T) {
	// Verify passes, then the layer changes before the copy: copyBinary must
	// still refuse it.
	s, a, _ := sharedBuild(t)
	_, m := manifestOf(t, s, a)
	flipByte(t, blobPath(s, m.Layers[0].Digest), -100)
	var sink strings.Builder
	err := s.copyBinary(context.Background(), m.Layers[0].Digest, binaryPath("hello"), &sink)
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("copyBinary(changed layer) = %v, want ErrCorrupt", err)
	}
}

// resign does what an attacker with write access to the state directory can:
// sign the artifact's payload (naming their key), signature file, attachment
// and scan statement again with key k.
func resign(t *testing.T, s *Store, a Artifact, k Signer) {
	t.Helper()
	ctx := context.Background()
	d, _ := parseDigest(a.Digest)
	sbom, _ := os.ReadFile(a.SBOM)
	prov, _ := os.ReadFile(a.Provenance)
	fp, err := Fingerprint(k.PublicKey())
	if err != nil {
		t.Fatal(err)
	}
	payload, err := signingPayload(a.Service, a.Version, a.Commit, d, sbom, prov, fp)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := k.Sign(ctx, payload)
	if err != nil {
		t.Fatal(err)
	}
	sigB64 := base64.StdEncoding.EncodeToString(sig)
	writeFile(t, a.Payload, string(payload))
	writeFile(t, a.Signature, sigB64+"\n")
	img, err := attachment(payload, simpleSigningType, map[string]string{cosignSigKey: sigB64})
	if err != nil {
		t.Fatal(err)
	}
	if err := putImage(s.oci, img, a.Service+":"+d.tag("sig")); err != nil {
		t.Fatal(err)
	}
	reportJSON, _ := os.ReadFile(a.Scan)
	r, err := ReadReport(a.Scan)
	if err != nil {
		t.Fatal(err)
	}
	env, err := scanEnvelope(ctx, k, a.Service, d, reportJSON, r)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, a.ScanStatement, string(env))
}
