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
	other, err := Open(filepath.Join(t.TempDir(), "other"))
	if err != nil {
		t.Fatal(err)
	}
	sig, err := other.sign(payload)
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
			sig, err := s.sign([]byte(forged)) // even the right key cannot make it fit
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, a.Signature, base64.StdEncoding.EncodeToString(sig))
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
		{"signing key replaced", func(t *testing.T, s *Store, a Artifact) *Store {
			if err := os.RemoveAll(filepath.Join(s.Dir(), "keys")); err != nil {
				t.Fatal(err)
			}
			reopened, err := Open(s.Dir()) // makes a new key pair
			if err != nil {
				t.Fatal(err)
			}
			return reopened
		}, ErrBadSignature, "signature file"},
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
			if _, err := s.Extract(ctx, a.Digest, dest); !errors.Is(err, tt.want) {
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
	pub, err := os.ReadFile(filepath.Join(s.Dir(), "keys", "signing.pub"))
	if err != nil || string(pub) != string(s.PublicKey()) {
		t.Errorf("keys/signing.pub differs from PublicKey() (%v)", err)
	}
	other, err := Open(filepath.Join(t.TempDir(), "other"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.VerifyWithKey(ctx, a.Digest, other.PublicKey()); !errors.Is(err, ErrBadSignature) {
		t.Errorf("VerifyWithKey(another store's key) = %v, want ErrBadSignature", err)
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
