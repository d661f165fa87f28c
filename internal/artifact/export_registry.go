package artifact

import (
	"context"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// What a push to an OCI registry (package artifact/registry) needs of the
// store, beyond the files an Artifact names.

// Image returns the image of the artifact with the given digest, once Verify
// passes on it: a push sends only what the store vouches for.
func (s *Store) Image(ctx context.Context, digest string) (v1.Image, error) {
	if err := s.Verify(ctx, digest); err != nil {
		return nil, err
	}
	d, err := parseDigest(digest)
	if err != nil {
		return nil, fmt.Errorf("image: %w", err)
	}
	img, err := s.oci.Image(v1.Hash{Algorithm: "sha256", Hex: d.hex})
	if err != nil {
		return nil, fmt.Errorf("image %s: %w", digest, err)
	}
	return img, nil
}

// KeyID is the fingerprint of the key the store signs with (see Fingerprint).
func (s *Store) KeyID() (string, error) {
	sg, err := s.signerOrDefault()
	if err != nil {
		return "", err
	}
	return Fingerprint(sg.PublicKey())
}

// SignAttestation signs payload (the DSSE pre-authentication encoding of an
// attestation a registry push adds) with the store's signer, so that the one
// public key that verifies the image's signature verifies its attestations.
func (s *Store) SignAttestation(ctx context.Context, payload []byte) ([]byte, error) {
	sg, err := s.signerOrDefault()
	if err != nil {
		return nil, err
	}
	return sg.Sign(ctx, payload)
}
