package registry

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// Media types, annotation keys and predicate types as cosign writes and reads
// them.
const (
	simpleSigningType = types.MediaType("application/vnd.dev.cosign.simplesigning.v1+json")
	dsseType          = types.MediaType("application/vnd.dsse.envelope.v1+json")
	cycloneDXType     = types.MediaType("application/vnd.cyclonedx+json")
	cosignSigKey      = "dev.cosignproject.cosign/signature"
	predicateTypeKey  = "predicateType"
	inTotoPayloadType = "application/vnd.in-toto+json"

	// PredicateCycloneDX is the predicate type of an SBOM attestation
	// (cosign attest --type cyclonedx).
	PredicateCycloneDX = "https://cyclonedx.org/bom"
	// PredicateSLSA is the predicate type of a provenance attestation
	// (cosign attest --type slsaprovenance1).
	PredicateSLSA = "https://slsa.dev/provenance/v1"
	// PredicateVuln is the predicate type of a vulnerability scan attestation
	// (cosign attest --type vuln): the scanner, its database and its result.
	PredicateVuln = "https://cosign.sigstore.dev/attestation/vuln/v1"

	// attachmentKey annotates each attachment manifest with what it holds, so
	// that a referrers listing tells them apart.
	attachmentKey = "dev.slipway/attachment"
	// keyKey annotates an attestation layer with the fingerprint of the key
	// that signed it: a hint for messages (which key signed what no one
	// trusts), never trusted itself. cosign ignores it.
	keyKey = "dev.slipway/key"
)

// attachmentImage is a cosign-style image whose layers are the attachment's
// blobs, naming subject as its OCI 1.1 subject.
func attachmentImage(subject v1.Descriptor, kind string, layers ...mutate.Addendum) (v1.Image, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.Append(img, layers...)
	if err != nil {
		return nil, fmt.Errorf("%s attachment: %w", kind, err)
	}
	img, ok := mutate.Annotations(img, map[string]string{attachmentKey: kind}).(v1.Image)
	if !ok {
		return nil, fmt.Errorf("%s attachment: annotations: unexpected type", kind)
	}
	img, ok = mutate.Subject(img, subject).(v1.Image)
	if !ok {
		return nil, fmt.Errorf("%s attachment: subject: unexpected type", kind)
	}
	return img, nil
}

// signatureLayer is the layer cosign verifies: the payload, with the base64
// signature in an annotation.
func signatureLayer(payload []byte, sigB64 string) mutate.Addendum {
	return mutate.Addendum{Layer: static.NewLayer(payload, simpleSigningType), Annotations: map[string]string{cosignSigKey: sigB64}}
}

// attestationLayer is one DSSE envelope, annotated the way cosign attest does.
func attestationLayer(envelope []byte, predicateType, keyID string) mutate.Addendum {
	ann := map[string]string{cosignSigKey: "", predicateTypeKey: predicateType}
	if keyID != "" {
		ann[keyKey] = keyID
	}
	return mutate.Addendum{Layer: static.NewLayer(envelope, dsseType), Annotations: ann}
}

// statement is an in-toto v1 statement.
type statement struct {
	Type          string          `json:"_type"`
	Subject       []subject       `json:"subject"`
	PredicateType string          `json:"predicateType"`
	Predicate     json.RawMessage `json:"predicate"`
}

type subject struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// sbomStatement states that the CycloneDX document sbom describes the image
// with digest hex in repository name.
func sbomStatement(name, hex string, sbom []byte) ([]byte, error) {
	if !json.Valid(sbom) {
		return nil, fmt.Errorf("sbom attestation: the SBOM is not JSON")
	}
	b, err := json.Marshal(statement{Type: "https://in-toto.io/Statement/v1", PredicateType: PredicateCycloneDX,
		Subject: []subject{{Name: name, Digest: map[string]string{"sha256": hex}}}, Predicate: sbom})
	if err != nil {
		return nil, fmt.Errorf("sbom attestation: %w", err)
	}
	return b, nil
}

// checkStatement parses an in-toto statement and checks that it is about hex
// and of predicate type want ("" for any). It returns the predicate type.
func checkStatement(b []byte, hex, want string) (string, error) {
	var st statement
	if err := json.Unmarshal(b, &st); err != nil {
		return "", fmt.Errorf("statement is not in-toto JSON: %v", err)
	}
	if want != "" && st.PredicateType != want {
		return "", fmt.Errorf("statement has predicate type %q, want %q", st.PredicateType, want)
	}
	for _, s := range st.Subject {
		if s.Digest["sha256"] == hex {
			return st.PredicateType, nil
		}
	}
	return "", fmt.Errorf("statement of type %s is not about sha256:%s", st.PredicateType, hex)
}

// envelope is a DSSE envelope (https://github.com/secure-systems-lab/dsse).
type envelope struct {
	PayloadType string        `json:"payloadType"`
	Payload     string        `json:"payload"`
	Signatures  []envelopeSig `json:"signatures"`
}

type envelopeSig struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

// pae is DSSE's pre-authentication encoding: what is signed.
func pae(payloadType string, body []byte) []byte {
	var b bytes.Buffer
	b.WriteString("DSSEv1 " + strconv.Itoa(len(payloadType)) + " " + payloadType + " " + strconv.Itoa(len(body)) + " ")
	b.Write(body)
	return b.Bytes()
}

// signEnvelope wraps an in-toto statement in a DSSE envelope signed by sign.
func signEnvelope(ctx context.Context, sign SignFunc, stmt []byte) ([]byte, error) {
	sig, err := sign(ctx, pae(inTotoPayloadType, stmt))
	if err != nil {
		return nil, fmt.Errorf("sign attestation: %w", err)
	}
	return json.Marshal(envelope{PayloadType: inTotoPayloadType, Payload: base64.StdEncoding.EncodeToString(stmt),
		Signatures: []envelopeSig{{Sig: base64.StdEncoding.EncodeToString(sig)}}})
}

// openEnvelope verifies a DSSE envelope with the PEM public key and returns the
// statement it carries.
func openEnvelope(b, publicKeyPEM []byte) ([]byte, error) {
	var env envelope
	if err := json.Unmarshal(b, &env); err != nil {
		return nil, fmt.Errorf("%w: attestation is not a DSSE envelope: %v", ErrBadSignature, err)
	}
	if env.PayloadType != inTotoPayloadType {
		return nil, fmt.Errorf("%w: envelope payload type %q, want %q", ErrBadSignature, env.PayloadType, inTotoPayloadType)
	}
	body, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: envelope payload is not base64", ErrBadSignature)
	}
	v, err := verifier(publicKeyPEM)
	if err != nil {
		return nil, err
	}
	for _, s := range env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err == nil && v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(pae(env.PayloadType, body))) == nil {
			return body, nil
		}
	}
	return nil, fmt.Errorf("%w: no signature of the envelope verifies with the key", ErrBadSignature)
}

// checkSimpleSigning verifies a cosign signature (base64) over payload with the
// PEM public key, and that the payload signs the image digest d.
func checkSimpleSigning(publicKeyPEM, p []byte, sigB64, d string) error {
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil || len(sig) == 0 {
		return fmt.Errorf("%w: signature is not base64", ErrBadSignature)
	}
	v, err := verifier(publicKeyPEM)
	if err != nil {
		return err
	}
	if err := v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(p)); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return checkPayloadDigest(p, d)
}

// checkPayloadDigest checks that a simple-signing payload signs digest d.
func checkPayloadDigest(p []byte, d string) error {
	var sp payload.SimpleContainerImage
	if err := json.Unmarshal(p, &sp); err != nil {
		return fmt.Errorf("%w: payload is not simple-signing JSON: %v", ErrBadSignature, err)
	}
	if sp.Critical.Type != payload.CosignSignatureType {
		return fmt.Errorf("%w: payload type %q, want %q", ErrBadSignature, sp.Critical.Type, payload.CosignSignatureType)
	}
	if got := sp.Critical.Image.DockerManifestDigest; got != d {
		return fmt.Errorf("%w: payload signs %s, not %s", ErrBadSignature, got, d)
	}
	return nil
}

func verifier(publicKeyPEM []byte) (signature.Verifier, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(publicKeyPEM)
	if err != nil {
		return nil, fmt.Errorf("parse public key: %w", err)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("load verifier: %w", err)
	}
	return v, nil
}
