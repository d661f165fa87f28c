package registry

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// Pull fetches the image ref names by digest (host/repo@sha256:<hex>) and
// returns it once it is checked: its content (see [Fetch]), and a signature at
// the digest's .sig tag that verifies with publicKeyPEM and signs this digest.
// Errors wrap [ErrCorrupt] or [ErrBadSignature] when the content or the
// signature is wrong.
func Pull(ctx context.Context, ref string, publicKeyPEM []byte, opts ...Option) (v1.Image, error) {
	img, err := Fetch(ctx, ref, opts...)
	if err != nil {
		return nil, err
	}
	found, err := Find(ctx, ref, opts...)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	if err := found.VerifySignature(publicKeyPEM); err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	return img, nil
}

// Fetch fetches the image ref names by digest (host/repo@sha256:<hex>) and
// returns it once its content is checked: the manifest hashes to the digest,
// the config and every layer hash to their descriptors, and the layers to the
// config's diff IDs. It checks no signature. Errors wrap [ErrCorrupt] when the
// content is wrong.
func Fetch(ctx context.Context, ref string, opts ...Option) (v1.Image, error) {
	d, err := name.NewDigest(ref, name.StrictValidation)
	if err != nil {
		return nil, fmt.Errorf("pull %s: want host/repo@sha256:<hex>: %w", ref, err)
	}
	o := makeOptions(opts)
	ro := append([]remote.Option{remote.WithContext(ctx)}, o.remote...)
	desc, err := remote.Get(d, ro...)
	if err != nil {
		if strings.Contains(err.Error(), "does not match requested digest") {
			return nil, fmt.Errorf("pull %s: %w: %v", ref, ErrCorrupt, err)
		}
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	if sum := sha256.Sum256(desc.Manifest); "sha256:"+hex.EncodeToString(sum[:]) != d.DigestStr() {
		return nil, fmt.Errorf("pull %s: %w: the manifest served hashes to sha256:%x", ref, ErrCorrupt, sum)
	}
	img, err := desc.Image()
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	if err := validate.Image(img); err != nil {
		return nil, fmt.Errorf("pull %s: %w: %s", ref, ErrCorrupt, firstLine(err.Error()))
	}
	return img, nil
}

// Attachments are what a registry holds about one digest under cosign's tags.
type Attachments struct {
	Digest string
	// Signatures are the .sig image's layers: simple-signing payloads with
	// their base64 signatures.
	Signatures []Signature
	// Attestations are the .att image's layers: DSSE envelopes.
	Attestations []Attestation
	// SBOM is the .sbom image's document; nil when there is none.
	SBOM []byte
	// Broken are the attachments whose manifest or blobs do not hash to what
	// names them (changed in the registry's storage), by kind: "sig", "att" or
	// "sbom". Their fields stay empty. Each error wraps ErrCorrupt.
	Broken map[string]error
}

// Signature is one cosign signature.
type Signature struct {
	Payload   []byte
	Signature string // base64
}

// Attestation is one DSSE envelope with the predicate type it is annotated
// with, and the key it names (a hint, never trusted; may be empty).
type Attestation struct {
	PredicateType string
	KeyID         string
	Envelope      []byte
}

// Find reads the attachments of the digest ref names (host/repo@sha256:<hex>)
// from its .sig, .att and .sbom tags. A missing tag leaves its field empty.
// Find checks that each attachment's blobs hash to their descriptors; it does
// not verify signatures: see VerifySignature and Verify.
func Find(ctx context.Context, ref string, opts ...Option) (Attachments, error) {
	d, err := name.NewDigest(ref, name.StrictValidation)
	if err != nil {
		return Attachments{}, fmt.Errorf("attachments of %s: want host/repo@sha256:<hex>: %w", ref, err)
	}
	o := makeOptions(opts)
	ro := append([]remote.Option{remote.WithContext(ctx)}, o.remote...)
	out := Attachments{Digest: d.DigestStr()}
	for _, suffix := range []string{"sig", "att", "sbom"} {
		t := tag(d.Context(), d.DigestStr(), suffix)
		img, err := remote.Image(t, ro...)
		if notFound(err) {
			continue
		}
		if err != nil {
			if !unreadable(ctx, err) {
				out.broken(suffix, t, err)
				continue
			}
			return Attachments{}, fmt.Errorf("attachments of %s: %s: %w", ref, t, err)
		}
		m, err := img.Manifest()
		if err != nil {
			return Attachments{}, fmt.Errorf("attachments of %s: %s: %w", ref, t, err)
		}
		var blobs [][]byte
		for _, l := range m.Layers {
			blob, err := readLayer(img, l.Digest)
			if err != nil {
				if errors.Is(err, ErrCorrupt) || !unreadable(ctx, err) {
					out.broken(suffix, t, err)
					blobs = nil
					break
				}
				return Attachments{}, fmt.Errorf("attachments of %s: %s: %w", ref, t, err)
			}
			blobs = append(blobs, blob)
		}
		for i, blob := range blobs {
			l := m.Layers[i]
			switch {
			case suffix == "sig" && l.MediaType == simpleSigningType:
				out.Signatures = append(out.Signatures, Signature{Payload: blob, Signature: l.Annotations[cosignSigKey]})
			case suffix == "att" && l.MediaType == dsseType:
				out.Attestations = append(out.Attestations, Attestation{PredicateType: l.Annotations[predicateTypeKey], KeyID: l.Annotations[keyKey], Envelope: blob})
			case suffix == "sbom" && l.MediaType == cycloneDXType:
				out.SBOM = blob
			}
		}
	}
	return out, nil
}

// broken records that the attachment at t does not match its digests.
func (a *Attachments) broken(kind string, t name.Tag, err error) {
	if a.Broken == nil {
		a.Broken = map[string]error{}
	}
	if !errors.Is(err, ErrCorrupt) {
		err = fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	a.Broken[kind] = fmt.Errorf("%s: %w", t, err)
}

// unreadable reports whether err is the registry or the network failing (a
// status, a refused connection, a cancelled context) rather than content that
// does not match its digest.
func unreadable(ctx context.Context, err error) bool {
	var te *transport.Error
	var ne net.Error
	var ue *url.Error
	return ctx.Err() != nil || errors.As(err, &te) || errors.As(err, &ne) || errors.As(err, &ue)
}

// readLayer reads one layer blob of img; go-containerregistry checks its
// digest as it is read.
func readLayer(img v1.Image, h v1.Hash) ([]byte, error) {
	l, err := img.LayerByDigest(h)
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%w: layer %s: %v", ErrCorrupt, h, err)
	}
	return b, nil
}

// VerifySignature reports whether one of the signatures verifies with the PEM
// public key and signs the digest.
func (a Attachments) VerifySignature(publicKeyPEM []byte) error {
	if len(a.Signatures) == 0 {
		return fmt.Errorf("%w: no signature at the .sig tag of %s", ErrBadSignature, a.Digest)
	}
	var errs []error
	for _, s := range a.Signatures {
		err := checkSimpleSigning(publicKeyPEM, s.Payload, s.Signature, a.Digest)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Verify returns the statement of the attestation of predicate type
// predicateType once its envelope verifies with the PEM public key and the
// statement is about the digest.
func (a Attachments) Verify(predicateType string, publicKeyPEM []byte) ([]byte, error) {
	hexDigest := strings.TrimPrefix(a.Digest, "sha256:")
	var errs []error
	for _, at := range a.Attestations {
		if at.PredicateType != predicateType {
			continue
		}
		stmt, err := openEnvelope(at.Envelope, publicKeyPEM)
		if err == nil {
			if _, err = checkStatement(stmt, hexDigest, predicateType); err == nil {
				return stmt, nil
			}
			err = fmt.Errorf("%w: %v", ErrBadSignature, err)
		}
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("%w: no %s attestation at the .att tag of %s", ErrBadSignature, predicateType, a.Digest)
	}
	return nil, errors.Join(errs...)
}

// Referrers lists the manifests that name the digest ref names as their
// subject: through the OCI 1.1 referrers API where the registry has it, through
// the referrers tag scheme (host/repo:sha256-<hex>) where it does not.
func Referrers(ctx context.Context, ref string, opts ...Option) ([]v1.Descriptor, error) {
	d, err := name.NewDigest(ref, name.StrictValidation)
	if err != nil {
		return nil, fmt.Errorf("referrers of %s: want host/repo@sha256:<hex>: %w", ref, err)
	}
	o := makeOptions(opts)
	idx, err := remote.Referrers(d, append([]remote.Option{remote.WithContext(ctx)}, o.remote...)...)
	if err != nil {
		return nil, fmt.Errorf("referrers of %s: %w", ref, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("referrers of %s: %w", ref, err)
	}
	return m.Manifests, nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
