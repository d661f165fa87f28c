package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
)

// SignFunc signs payload with the key that signed the artifact: an ASN.1 ECDSA
// signature over its SHA-256, what cosign verifies with --key. It must be safe
// for concurrent use.
type SignFunc func(ctx context.Context, payload []byte) ([]byte, error)

// Artifact is what a push sends: a built image and what the artifact store made
// for it.
type Artifact struct {
	Image v1.Image
	// Version tags the image (1.12.0); empty pushes it by digest only.
	Version string
	// Payload is the cosign simple-signing payload the store signed for the
	// image's digest, and Signature its base64 signature.
	Payload   []byte
	Signature string
	// SBOM is the CycloneDX JSON SBOM; Provenance the in-toto statement with
	// the SLSA provenance predicate about the image's digest.
	SBOM, Provenance []byte
	// Vuln is the in-toto statement with the cosign vulnerability predicate
	// (PredicateVuln) about the image's digest: the scan report the artifact
	// store verified. Nil pushes no scan attestation.
	Vuln []byte
	// KeyID names the key Sign signs with (its fingerprint), recorded beside
	// each attestation as a hint for messages; empty records none.
	KeyID string
	// Sign signs the attestations (DSSE envelopes) with the artifact's key.
	Sign SignFunc
}

// Pushed says where an artifact is in a registry, every reference by digest or
// by the digest's attachment tags.
type Pushed struct {
	// Ref is the image by digest: host/repo@sha256:<hex>. Pull it with [Pull].
	Ref    string `json:"ref"`
	Digest string `json:"digest"`
	// Tag is the version tag, host/repo:1.12.0, when one was pushed.
	Tag string `json:"tag,omitempty"`
	// Signature, Attestations and SBOM are cosign's tags for the attachments:
	// host/repo:sha256-<hex>.sig, .att and .sbom.
	Signature    string `json:"signature"`
	Attestations string `json:"attestations"`
	SBOM         string `json:"sbom"`
}

// Push writes a's image to the repository repo ("host:port/path", see
// [ParseRepository]) with its signature, its SBOM, provenance and
// vulnerability scan attestations and its SBOM, and returns where they are. It refuses a signature payload that
// is not about the image's digest, and a version tag that already names another
// digest ([ErrTagMoved]). Pushing an artifact that is already there changes
// nothing: blobs are not sent again and the attestations are kept.
func Push(ctx context.Context, repo string, a Artifact, opts ...Option) (Pushed, error) {
	r, err := ParseRepository(repo)
	if err != nil {
		return Pushed{}, fmt.Errorf("push: %w", err)
	}
	if a.Image == nil || a.Sign == nil {
		return Pushed{}, fmt.Errorf("push to %s: no image or no signer given", repo)
	}
	h, err := a.Image.Digest()
	if err != nil {
		return Pushed{}, fmt.Errorf("push to %s: %w", repo, err)
	}
	d := h.String()
	if err := checkPayloadDigest(a.Payload, d); err != nil {
		return Pushed{}, fmt.Errorf("push %s to %s: %w", d, repo, err)
	}
	if _, err := checkStatement(a.Provenance, h.Hex, PredicateSLSA); err != nil {
		return Pushed{}, fmt.Errorf("push %s to %s: provenance: %w", d, repo, err)
	}
	if a.Vuln != nil {
		if _, err := checkStatement(a.Vuln, h.Hex, PredicateVuln); err != nil {
			return Pushed{}, fmt.Errorf("push %s to %s: vulnerability scan: %w", d, repo, err)
		}
	}
	o := makeOptions(opts)
	ro := append([]remote.Option{remote.WithContext(ctx)}, o.remote...)
	out := Pushed{Ref: r.Digest(d).String(), Digest: d,
		Signature: tag(r, d, "sig").String(), Attestations: tag(r, d, "att").String(), SBOM: tag(r, d, "sbom").String()}

	// The image, by digest, then its version tag (never moved).
	var ref name.Reference = r.Digest(d)
	if a.Version != "" {
		t := r.Tag(a.Version)
		if old, err := remote.Head(t, ro...); err == nil && old.Digest != h {
			return Pushed{}, fmt.Errorf("push %s to %s: %w: %s is %s (versions are immutable: release a new version)", d, repo, ErrTagMoved, t, old.Digest)
		} else if err != nil && !notFound(err) {
			return Pushed{}, fmt.Errorf("push %s to %s: %w", d, repo, err)
		}
		ref, out.Tag = t, t.String()
	}
	if err := remote.Write(ref, a.Image, ro...); err != nil {
		return Pushed{}, fmt.Errorf("push %s to %s: %w", d, repo, err)
	}
	subject, err := partial.Descriptor(a.Image)
	if err != nil {
		return Pushed{}, fmt.Errorf("push %s to %s: %w", d, repo, err)
	}
	subject = &v1.Descriptor{MediaType: subject.MediaType, Size: subject.Size, Digest: subject.Digest}

	// The signature the store made, where cosign verify looks for it.
	sig, err := attachmentImage(*subject, "signature", signatureLayer(a.Payload, a.Signature))
	if err != nil {
		return Pushed{}, fmt.Errorf("push %s to %s: %w", d, repo, err)
	}
	if err := remote.Write(tag(r, d, "sig"), sig, ro...); err != nil {
		return Pushed{}, fmt.Errorf("push %s signature to %s: %w", d, repo, err)
	}

	// The attestations, signed now; kept when a push already made them.
	if !hasAttestations(tag(r, d, "att"), a.Vuln != nil, ro) {
		sbomStmt, err := sbomStatement(r.String(), h.Hex, a.SBOM)
		if err != nil {
			return Pushed{}, fmt.Errorf("push %s to %s: %w", d, repo, err)
		}
		type attestation struct {
			predicate string
			stmt      []byte
		}
		all := []attestation{{PredicateCycloneDX, sbomStmt}, {PredicateSLSA, a.Provenance}}
		if a.Vuln != nil {
			all = append(all, attestation{PredicateVuln, a.Vuln})
		}
		var layers []mutate.Addendum
		for _, st := range all {
			env, err := signEnvelope(ctx, a.Sign, st.stmt)
			if err != nil {
				return Pushed{}, fmt.Errorf("push %s to %s: %w", d, repo, err)
			}
			layers = append(layers, attestationLayer(env, st.predicate, a.KeyID))
		}
		att, err := attachmentImage(*subject, "attestations", layers...)
		if err != nil {
			return Pushed{}, fmt.Errorf("push %s to %s: %w", d, repo, err)
		}
		if err := remote.Write(tag(r, d, "att"), att, ro...); err != nil {
			return Pushed{}, fmt.Errorf("push %s attestations to %s: %w", d, repo, err)
		}
	}

	// The SBOM itself, as cosign attach sbom stores it.
	sbom, err := attachmentImage(*subject, "sbom", mutate.Addendum{Layer: static.NewLayer(a.SBOM, cycloneDXType)})
	if err != nil {
		return Pushed{}, fmt.Errorf("push %s to %s: %w", d, repo, err)
	}
	if err := remote.Write(tag(r, d, "sbom"), sbom, ro...); err != nil {
		return Pushed{}, fmt.Errorf("push %s sbom to %s: %w", d, repo, err)
	}
	return out, nil
}

// hasAttestations reports whether the .att image at t already holds the SBOM
// and the provenance attestation, and the scan attestation when vuln.
func hasAttestations(t name.Tag, vuln bool, ro []remote.Option) bool {
	img, err := remote.Image(t, ro...)
	if err != nil {
		return false
	}
	m, err := img.Manifest()
	if err != nil {
		return false
	}
	found := map[string]bool{}
	for _, l := range m.Layers {
		if l.MediaType == dsseType {
			found[l.Annotations[predicateTypeKey]] = true
		}
	}
	return found[PredicateCycloneDX] && found[PredicateSLSA] && (!vuln || found[PredicateVuln])
}

// notFound reports whether err is the registry saying a manifest does not exist.
func notFound(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && te.StatusCode == http.StatusNotFound
}
