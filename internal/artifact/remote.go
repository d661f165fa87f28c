package artifact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sigstore/sigstore/pkg/signature/payload"

	"github.com/slipway/slipway/internal/artifact/registry"
)

// Expect is what the deployer knows of the artifact it asks a registry for:
// the service whose binary the image holds and the version it deploys it as.
// The signed payload must agree with the version.
type Expect struct {
	Service string
	Version string
}

// CheckRemote verifies the artifact with digest dgst in the registry
// repository repo (host:port/path) against p, from what the registry serves
// alone - the local layout is not read:
//
//   - digest: the manifest, config and layers served hash to what names them
//     (ErrCorrupt);
//   - signature: a signature at sha256-<hex>.sig verifies with one of p's keys
//     and signs this digest and want's version (ErrUnsigned, ErrUntrustedKey,
//     ErrBadSignature);
//   - attestations: the SBOM and provenance attestations at sha256-<hex>.att
//     verify with a trusted key, are about the digest and are the SBOM and
//     provenance the signature names (ErrAttestation);
//   - scan: the vulnerability attestation verifies with a trusted key and is
//     about the digest; the report it carries is what the gate judges
//     (ErrScanBinding);
//   - vulnerabilities: p's gate, the database's age first (ErrStaleDB,
//     ErrVulnerable).
//
// It returns the image, checked, when the digest check passed.
func (s *Store) CheckRemote(ctx context.Context, repo, dgst string, want Expect, p Policy, opts ...registry.Option) (Verification, v1.Image, error) {
	ref := repo + "@" + dgst
	v := Verification{Digest: dgst, Ref: ref, Env: p.Env, From: p.From}
	d, err := parseDigest(dgst)
	if err != nil {
		return v, nil, fmt.Errorf("verify %s: %w", ref, err)
	}
	keys, err := s.trusted(p)
	if err != nil {
		return v, nil, fmt.Errorf("verify %s: %w", ref, err)
	}
	v.Trusted = keys
	fail := func(name string, err error) {
		err = fmt.Errorf("verify %s: %w", ref, err)
		v.Checks = append(v.Checks, CheckResult{Name: name, Detail: err.Error(), Err: err})
	}
	pass := func(name, detail string) {
		v.Checks = append(v.Checks, CheckResult{Name: name, OK: true, Detail: detail})
	}

	img, err := registry.Fetch(ctx, ref, opts...)
	switch {
	case errors.Is(err, registry.ErrCorrupt):
		fail("digest", fmt.Errorf("%w: %w: what the registry serves is not what was built and signed; do not run it: push the release again from the artifact store, and find out who changed the registry", ErrCorrupt, err))
		img = nil
	case err != nil:
		return v, nil, fmt.Errorf("verify %s: %w (is the registry up, and does it hold the release? slipway pushes every release to registry:)", ref, err)
	default:
		pass("digest", fmt.Sprintf("manifest, config and layers served by the registry hash to %s", d))
	}
	found, err := registry.Find(ctx, ref, opts...)
	if err != nil {
		return v, nil, fmt.Errorf("verify %s: %w", ref, err)
	}

	facts, key, err := remoteSignature(found, d, keys, p, want)
	if err != nil {
		fail("signature", err)
	} else {
		pass("signature", fmt.Sprintf("signed by key %s (%s); signs the digest, version %s, commit %s", key.Fingerprint, key.Source, facts[optVersion], short(facts[optCommit])))
	}
	claimed := facts[optKey]
	if err := remoteAttestations(found, d, keys, p, facts, claimed); err != nil {
		fail("attestations", err)
	} else {
		pass("attestations", "SBOM (CycloneDX) and SLSA provenance attestations signed by a trusted key, about the digest, and the ones the signature names")
	}
	report, scanErr := remoteScan(found, d, keys, p, claimed)
	if scanErr != nil {
		fail("scan", scanErr)
		fail("vulnerabilities", fmt.Errorf("%w: not judged: the scan attestation is not verified", ErrScanBinding))
	} else {
		pass("scan", fmt.Sprintf("vulnerability attestation signed by a trusted key, about the digest; %s; %d findings, %d reachable",
			describeDB(report), len(report.Findings), report.Reachable))
		detail, js, err := gate(p, report, dgst)
		v.Findings = js
		if err != nil {
			fail("vulnerabilities", err)
		} else {
			pass("vulnerabilities", detail)
		}
	}
	v.OK = v.Err() == nil
	return v, img, v.Err()
}

// ExtractFrom verifies the artifact dgst in the registry repository repo
// against p (see CheckRemote), then writes its binary, read from the
// registry, to destDir/<service> with mode 0755 and returns that path. The
// layer is hashed again as it is read; a mismatch leaves no binary.
func (s *Store) ExtractFrom(ctx context.Context, repo, dgst string, want Expect, destDir string, p Policy, opts ...registry.Option) (string, error) {
	_, img, err := s.CheckRemote(ctx, repo, dgst, want, p, opts...)
	if err != nil {
		return "", err
	}
	ref := repo + "@" + dgst
	layers, err := img.Layers()
	if err != nil {
		return "", fmt.Errorf("extract %s: %w", ref, err)
	}
	if len(layers) != 1 {
		return "", fmt.Errorf("extract %s: %w: image has %d layers, want 1", ref, ErrCorrupt, len(layers))
	}
	h, err := layers[0].Digest()
	if err != nil {
		return "", fmt.Errorf("extract %s: %w", ref, err)
	}
	return writeBinary(destDir, want.Service, func(w io.Writer) error {
		rc, err := layers[0].Compressed()
		if err != nil {
			return fmt.Errorf("%w: layer %s: %v", ErrCorrupt, h, err)
		}
		defer rc.Close()
		return copyFromLayer(ctx, rc, h, binaryPath(want.Service), w)
	})
}

// remoteSignature verifies the registry's signatures of d with keys and
// returns the signed payload's optional facts and the key that signed.
func remoteSignature(found registry.Attachments, d digest, keys []TrustedKey, p Policy, want Expect) (map[string]string, TrustedKey, error) {
	tag := d.tag("sig")
	if err := found.Broken["sig"]; err != nil {
		return nil, TrustedKey{}, fmt.Errorf("%w: the signature at %s does not match its digest: it was changed in the registry (%w); push the release again", ErrBadSignature, tag, err)
	}
	if len(found.Signatures) == 0 {
		return nil, TrustedKey{}, fmt.Errorf("%w: the registry has no signature at %s: it was never signed, or the signature was removed; push the release again", ErrUnsigned, tag)
	}
	facts := map[string]string{}
	if want.Version != "" {
		facts[optVersion] = want.Version
	}
	var first error
	for _, sig := range found.Signatures {
		key, err := checkSigned(keys, p, sig.Payload, sig.Signature, d, facts)
		if err == nil {
			return payloadFacts(sig.Payload), key, nil
		}
		if first == nil {
			first = fmt.Errorf("signature at %s: %w", tag, err)
		}
	}
	return payloadFacts(found.Signatures[0].Payload), TrustedKey{}, first
}

// payloadFacts are the string values of a simple-signing payload's optional
// section.
func payloadFacts(b []byte) map[string]string {
	var p payload.SimpleContainerImage
	out := map[string]string{}
	if json.Unmarshal(b, &p) != nil {
		return out
	}
	for k, v := range p.Optional {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// remoteAttestations verifies the SBOM and provenance attestations of d and
// that they are the SBOM and provenance the signature names (facts).
func remoteAttestations(found registry.Attachments, d digest, keys []TrustedKey, p Policy, facts map[string]string, claimed string) error {
	tag := d.tag("att")
	if err := found.Broken["att"]; err != nil {
		return fmt.Errorf("%w: the attestations at %s do not match their digest: they were changed in the registry (%w); push the release again", ErrAttestation, tag, err)
	}
	if err := found.Broken["sbom"]; err != nil {
		return fmt.Errorf("%w: the SBOM at %s does not match its digest: it was changed in the registry (%w); push the release again", ErrAttestation, d.tag("sbom"), err)
	}
	for _, pt := range []string{registry.PredicateCycloneDX, registry.PredicateSLSA} {
		stmt, err := remoteStatement(found, d, keys, p, pt, claimed)
		if err != nil {
			return fmt.Errorf("%w: %s", ErrAttestation, err)
		}
		if pt == registry.PredicateSLSA && facts[optProvenance] != "" && sha256Digest(stmt) != facts[optProvenance] {
			return fmt.Errorf("%w: the provenance attested at %s hashes to %s, but the signature names %s: it is not the provenance of this build", ErrAttestation, tag, sha256Digest(stmt), facts[optProvenance])
		}
	}
	if found.SBOM != nil && facts[optSBOM] != "" && sha256Digest(found.SBOM) != facts[optSBOM] {
		return fmt.Errorf("%w: the SBOM at %s hashes to %s, but the signature names %s", ErrAttestation, d.tag("sbom"), sha256Digest(found.SBOM), facts[optSBOM])
	}
	return nil
}

// remoteStatement returns the statement of the attestation of predicate type
// pt about d that verifies with a trusted key.
func remoteStatement(found registry.Attachments, d digest, keys []TrustedKey, p Policy, pt, claimed string) ([]byte, error) {
	tag := d.tag("att")
	var first error
	for _, at := range found.Attestations {
		if at.PredicateType != pt {
			continue
		}
		named := at.KeyID
		if named == "" {
			named = claimed
		}
		stmt, _, err := openDSSE(at.Envelope, keys, p, named)
		if err == nil {
			err = statementAbout(stmt, d, pt)
		}
		if err == nil {
			return stmt, nil
		}
		if first == nil {
			first = fmt.Errorf("the %s attestation at %s: %w", pt, tag, err)
		}
	}
	if first == nil {
		first = fmt.Errorf("%w: no %s attestation at %s: push the release again", ErrUnsigned, pt, tag)
	}
	return nil, first
}

// statementAbout checks that an in-toto statement is of type pt and about d.
func statementAbout(stmt []byte, d digest, pt string) error {
	var st struct {
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	}
	if err := json.Unmarshal(stmt, &st); err != nil {
		return fmt.Errorf("the statement is not in-toto JSON: %v", err)
	}
	if st.PredicateType != pt {
		return fmt.Errorf("the statement's predicate type is %q", st.PredicateType)
	}
	for _, s := range st.Subject {
		if s.Digest["sha256"] == d.hex {
			return nil
		}
	}
	return fmt.Errorf("the statement is not about %s: it was copied from another artifact", d)
}

// remoteScan verifies the vulnerability attestation of d and returns the
// report it carries.
func remoteScan(found registry.Attachments, d digest, keys []TrustedKey, p Policy, claimed string) (Report, error) {
	if err := found.Broken["att"]; err != nil {
		return Report{}, fmt.Errorf("%w: the attestations at %s were changed in the registry", ErrScanBinding, d.tag("att"))
	}
	stmt, err := remoteStatement(found, d, keys, p, registry.PredicateVuln, claimed)
	if err != nil {
		return Report{}, fmt.Errorf("%w: %w", ErrScanBinding, err)
	}
	var st struct {
		Predicate vulnPredicate `json:"predicate"`
	}
	if err := json.Unmarshal(stmt, &st); err != nil || st.Predicate.Scanner.Result == nil {
		return Report{}, fmt.Errorf("%w: the signed vulnerability attestation at %s carries no Slipway report (%v)", ErrScanBinding, d.tag("att"), err)
	}
	return *st.Predicate.Scanner.Result, nil
}
