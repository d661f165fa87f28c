package artifact

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
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

// checkSigned verifies a base64 signature over payload with one of keys, then
// that the payload is about d with the facts want. It returns the key that signed.
func checkSigned(keys []TrustedKey, p Policy, payload []byte, sigB64 string, d digest, want map[string]string) (TrustedKey, error) {
	if strings.TrimSpace(sigB64) == "" {
		return TrustedKey{}, fmt.Errorf("%w: the signature is empty", ErrUnsigned)
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil || len(sig) == 0 {
		return TrustedKey{}, fmt.Errorf("%w: the signature is not base64: it was damaged after signing", ErrBadSignature)
	}
	key, err := verifyWithAny(keys, payload, sig, claimedKey(payload), p)
	if err != nil {
		return TrustedKey{}, err
	}
	return key, checkPayload(payload, d, want)
}

// verifyWithAny returns the first of keys whose signature sig over msg is.
// When none verifies, claimed (the key the signer named, never trusted for
// itself) tells a changed signature (the named key is trusted: ErrBadSignature)
// from a foreign one (ErrUntrustedKey).
func verifyWithAny(keys []TrustedKey, msg, sig []byte, claimed string, p Policy) (TrustedKey, error) {
	for _, k := range keys {
		if verifySignature(k.PEM, msg, sig) == nil {
			return k, nil
		}
	}
	for _, k := range keys {
		if claimed != "" && k.Fingerprint == claimed {
			return TrustedKey{}, fmt.Errorf("%w with key %s (%s), the key it names: the signature or what it signs was changed after signing", ErrBadSignature, k.Fingerprint, k.Source)
		}
	}
	who := "an unnamed key"
	if claimed != "" {
		who = "key " + claimed
	}
	return TrustedKey{}, fmt.Errorf("%w: signed by %s, which %s does not trust (trusted: %s): if that key is yours, add its public key to %s; otherwise rebuild the release with a trusted key",
		ErrUntrustedKey, who, p.env(), fingerprints(keys), p.field("keys"))
}

// claimedKey is the signer fingerprint a signed payload names, if any.
func claimedKey(payload []byte) string {
	var sp struct {
		Optional map[string]any `json:"optional"`
	}
	if json.Unmarshal(payload, &sp) != nil {
		return ""
	}
	k, _ := sp.Optional[optKey].(string)
	return k
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
