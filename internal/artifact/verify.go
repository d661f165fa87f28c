package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// Verify checks that the store holds digest, that the manifest, config and
// layer blobs hash to what names them, and that the artifact's signature (the
// per-digest file and the sha256-<hex>.sig attachment) verifies with the
// store's public key and covers this digest, version, commit, SBOM and
// provenance. Errors wrap ErrNotFound, ErrCorrupt or ErrBadSignature.
func (s *Store) Verify(ctx context.Context, digest string) error {
	_, err := s.verify(ctx, digest, s.pubPEM)
	return err
}

// VerifyWithKey is Verify with another PEM public key, e.g. one pinned by an
// environment that trusts a particular builder.
func (s *Store) VerifyWithKey(ctx context.Context, digest string, publicKeyPEM []byte) error {
	_, err := s.verify(ctx, digest, publicKeyPEM)
	return err
}

func (s *Store) verify(ctx context.Context, dgst string, pubPEM []byte) (Artifact, error) {
	if err := ctx.Err(); err != nil {
		return Artifact{}, err
	}
	d, err := parseDigest(dgst)
	if err != nil {
		return Artifact{}, fmt.Errorf("verify artifact: %w", err)
	}
	a, err := s.get(d)
	if err != nil {
		return Artifact{}, fmt.Errorf("verify artifact: %w", err)
	}
	if err := s.checkImage(d); err != nil {
		return Artifact{}, fmt.Errorf("verify artifact %s: %w", a.Ref, err)
	}
	if err := ctx.Err(); err != nil {
		return Artifact{}, err
	}
	want, err := signedFacts(a)
	if err != nil {
		return Artifact{}, fmt.Errorf("verify artifact %s: %w", a.Ref, err)
	}

	// The signature kept next to the artifact.
	payload, err := os.ReadFile(a.Payload)
	if err != nil {
		return Artifact{}, fmt.Errorf("verify artifact %s: %w: %v", a.Ref, ErrBadSignature, err)
	}
	sigText, err := os.ReadFile(a.Signature)
	if err != nil {
		return Artifact{}, fmt.Errorf("verify artifact %s: %w: %v", a.Ref, ErrBadSignature, err)
	}
	if err := checkSigned(pubPEM, payload, strings.TrimSpace(string(sigText)), d, want); err != nil {
		return Artifact{}, fmt.Errorf("verify artifact %s: signature file %s: %w", a.Ref, a.Signature, err)
	}

	// The cosign-style attachment in the layout.
	tag := a.Service + ":" + d.tag("sig")
	payload, sigB64, err := s.sigAttachment(tag)
	if err != nil {
		return Artifact{}, fmt.Errorf("verify artifact %s: attachment %s: %w", a.Ref, tag, err)
	}
	if err := checkSigned(pubPEM, payload, sigB64, d, want); err != nil {
		return Artifact{}, fmt.Errorf("verify artifact %s: attachment %s: %w", a.Ref, tag, err)
	}
	return a, nil
}

// signedFacts are the optional payload values that must match the store.
func signedFacts(a Artifact) (map[string]string, error) {
	sbom, err := os.ReadFile(a.SBOM)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	prov, err := os.ReadFile(a.Provenance)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return map[string]string{
		optVersion:    a.Version,
		optCommit:     a.Commit,
		optSBOM:       sha256Digest(sbom),
		optProvenance: sha256Digest(prov),
	}, nil
}

func checkSigned(pubPEM, payload []byte, sigB64 string, d digest, want map[string]string) error {
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil || len(sig) == 0 {
		return fmt.Errorf("%w: signature is not base64", ErrBadSignature)
	}
	if err := verifySignature(pubPEM, payload, sig); err != nil {
		return err
	}
	return checkPayload(payload, d, want)
}

// descriptor finds the layout's index entry for a digest or a ref name.
func (s *Store) descriptor(match func(v1.Descriptor) bool) (*v1.Descriptor, error) {
	idx, err := s.oci.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("read layout index: %w", err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("read layout index: %w", err)
	}
	for i := range m.Manifests {
		if match(m.Manifests[i]) {
			return &m.Manifests[i], nil
		}
	}
	return nil, nil
}

// checkImage verifies that the layout holds d and that every blob of the
// image hashes to its descriptor.
func (s *Store) checkImage(d digest) error {
	h := v1.Hash{Algorithm: "sha256", Hex: d.hex}
	desc, err := s.descriptor(func(x v1.Descriptor) bool { return x.Digest == h })
	if err != nil {
		return err
	}
	if desc == nil {
		return fmt.Errorf("%w: %s is not in the layout index %s", ErrCorrupt, d, filepath.Join(string(s.oci), "index.json"))
	}
	return s.checkBlobs(h, true)
}

// checkBlobs hashes the manifest h, its config and its layers. For the
// artifact image itself (full) it also checks the uncompressed layers against
// the config's diff IDs.
func (s *Store) checkBlobs(h v1.Hash, full bool) error {
	raw, err := s.oci.Bytes(h)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: manifest blob %s is missing", ErrCorrupt, h)
	}
	if err != nil {
		return err
	}
	if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != h.Hex {
		return fmt.Errorf("%w: manifest blob %s hashes to sha256:%x", ErrCorrupt, h, sum)
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("%w: manifest %s: %v", ErrCorrupt, h, err)
	}
	for _, desc := range append([]v1.Descriptor{m.Config}, m.Layers...) {
		if err := s.checkBlob(desc); err != nil {
			return err
		}
	}
	if !full {
		return nil
	}
	img, err := s.oci.Image(h)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if err := validate.Image(img); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, firstLines(err.Error(), 5))
	}
	return nil
}

// checkBlob streams one blob and compares its size and hash with desc.
func (s *Store) checkBlob(desc v1.Descriptor) error {
	rc, err := s.oci.Blob(desc.Digest)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: blob %s is missing", ErrCorrupt, desc.Digest)
	}
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, rc)
	if err != nil {
		return fmt.Errorf("read blob %s: %w", desc.Digest, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != desc.Digest.Hex || n != desc.Size {
		return fmt.Errorf("%w: blob %s has sha256:%s and %d bytes, want %d bytes", ErrCorrupt, desc.Digest, got, n, desc.Size)
	}
	return nil
}

// sigAttachment reads the payload and base64 signature of a .sig image.
func (s *Store) sigAttachment(tag string) (payload []byte, sigB64 string, err error) {
	desc, err := s.descriptor(func(x v1.Descriptor) bool { return x.Annotations[refNameKey] == tag })
	if err != nil {
		return nil, "", err
	}
	if desc == nil {
		return nil, "", fmt.Errorf("%w: no signature image in the layout", ErrBadSignature)
	}
	if err := s.checkBlobs(desc.Digest, false); err != nil {
		return nil, "", err
	}
	img, err := s.oci.Image(desc.Digest)
	if err != nil {
		return nil, "", err
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, "", err
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != simpleSigningType {
		return nil, "", fmt.Errorf("%w: signature image must have one %s layer", ErrBadSignature, simpleSigningType)
	}
	payload, err = s.oci.Bytes(m.Layers[0].Digest)
	if err != nil {
		return nil, "", err
	}
	// checkBlobs hashed this layer already; a swap since then is caught here.
	if sum := sha256.Sum256(payload); hex.EncodeToString(sum[:]) != m.Layers[0].Digest.Hex {
		return nil, "", fmt.Errorf("%w: signature payload blob changed", ErrCorrupt)
	}
	return payload, m.Layers[0].Annotations[cosignSigKey], nil
}
