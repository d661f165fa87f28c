package artifact

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"
)

// Verification says what was checked of one artifact against one policy, and
// how each check ended. Checks run in order: digest, signature, scan,
// vulnerabilities; a failed check does not stop the later ones, except that
// the vulnerability gate judges only a report whose statement verified.
type Verification struct {
	Digest string `json:"digest"`
	Ref    string `json:"ref,omitempty"`
	Env    string `json:"env,omitempty"`
	// From is the pinned policy file the environment's policy came from;
	// empty for slipway.yaml.
	From    string        `json:"policy_from,omitempty"`
	OK      bool          `json:"ok"`
	Trusted []TrustedKey  `json:"trusted_keys"`
	Checks  []CheckResult `json:"checks"`
	// Findings are the gate's judgements, when the environment has a gate.
	Findings []Judgement `json:"findings,omitempty"`
}

// CheckResult is one check's outcome.
type CheckResult struct {
	Name   string `json:"name"` // digest, signature, scan, vulnerabilities
	OK     bool   `json:"ok"`
	Detail string `json:"detail"` // what passed, or what failed and what to do
	Err    error  `json:"-"`
}

// Err returns the first failed check's error, or nil.
func (v Verification) Err() error {
	for _, c := range v.Checks {
		if !c.OK {
			return c.Err
		}
	}
	return nil
}

// Check verifies the artifact with digest against p, from the local store only:
//
//   - digest: the layout holds it, and the manifest, config and layer blobs
//     hash to what names them (ErrCorrupt);
//   - signature: the signature file and the sha256-<hex>.sig attachment verify
//     with one of p's keys and cover this digest, version, commit, SBOM and
//     provenance (ErrUnsigned, ErrUntrustedKey, ErrBadSignature);
//   - scan: a statement signed by one of p's keys binds this scan report to the
//     digest (ErrScanBinding);
//   - vulnerabilities: p's gate lets every finding of that report through
//     (ErrVulnerable).
//
// The error is the first failed check's, or one wrapping ErrNotFound when the
// store does not hold the digest; the Verification lists every check.
func (s *Store) Check(ctx context.Context, dgst string, p Policy) (Verification, error) {
	v := Verification{Digest: dgst, Env: p.Env, From: p.From}
	if err := ctx.Err(); err != nil {
		return v, err
	}
	d, err := parseDigest(dgst)
	if err != nil {
		return v, fmt.Errorf("verify artifact: %w", err)
	}
	a, err := s.get(d)
	if err != nil {
		return v, fmt.Errorf("verify artifact: %w", err)
	}
	v.Ref = a.Ref
	keys, err := s.trusted(p)
	if err != nil {
		return v, fmt.Errorf("verify artifact %s: %w", a.Ref, err)
	}
	v.Trusted = keys
	fail := func(name string, err error) {
		err = fmt.Errorf("verify artifact %s: %w", a.Ref, err)
		v.Checks = append(v.Checks, CheckResult{Name: name, Detail: err.Error(), Err: err})
	}
	pass := func(name, detail string) {
		v.Checks = append(v.Checks, CheckResult{Name: name, OK: true, Detail: detail})
	}

	if err := s.checkImage(d); err != nil {
		fail("digest", fmt.Errorf("%w: the image is not what was built and signed; do not run it: rebuild the release (or restore the state directory from a backup)", err))
	} else {
		pass("digest", fmt.Sprintf("manifest, config and layers hash to %s", d))
	}
	if err := ctx.Err(); err != nil {
		return v, err
	}

	if key, err := s.checkSignatures(a, d, keys, p); err != nil {
		fail("signature", err)
	} else {
		pass("signature", fmt.Sprintf("signed by key %s (%s); covers the digest, version %s, commit %s, SBOM and provenance; file and .sig attachment agree", key.Fingerprint, key.Source, a.Version, short(a.Commit)))
	}

	report, scanErr := s.checkScan(a, d, keys, p)
	if scanErr != nil {
		fail("scan", scanErr)
	} else {
		pass("scan", fmt.Sprintf("report bound to the digest by a signed statement; %s; %d findings, %d reachable",
			describeDB(report), len(report.Findings), report.Reachable))
	}

	if scanErr != nil {
		fail("vulnerabilities", fmt.Errorf("%w: not judged: the scan report is not verified", ErrScanBinding))
	} else {
		detail, js, err := gate(p, report, a.Digest)
		v.Findings = js
		if err != nil {
			fail("vulnerabilities", err)
		} else {
			pass("vulnerabilities", detail)
		}
	}
	v.OK = v.Err() == nil
	return v, v.Err()
}

// gate judges a verified report by p's gate: the database's age, then every
// finding. It returns what passed, or the error that refuses.
func gate(p Policy, report Report, dgst string) (string, []Judgement, error) {
	g := p.Vulnerabilities
	if g == nil {
		return fmt.Sprintf("no gate in %s (policy.vulnerabilities): %d findings reported, none judged", p.env(), len(report.Findings)), nil, nil
	}
	if err := checkDBAge(p, report, dgst); err != nil {
		return "", nil, err
	}
	js, err := judge(g, report, p.now(), p.env(), p.field("vulnerabilities"), dgst)
	if err != nil {
		return "", js, err
	}
	detail := gateSummary(g.Block, js)
	if g.MaxDBAge != "" {
		detail += "; database within max-db-age " + g.MaxDBAge
	}
	return detail, js, nil
}

// checkSignatures verifies the signature file and the layout's attachment.
func (s *Store) checkSignatures(a Artifact, d digest, keys []TrustedKey, p Policy) (TrustedKey, error) {
	want, err := signedFacts(a)
	if err != nil {
		return TrustedKey{}, err
	}
	payload, err := os.ReadFile(a.Payload)
	if err != nil {
		return TrustedKey{}, fmt.Errorf("%w: %s has no signed payload (%v): rebuild the release", ErrUnsigned, d, err)
	}
	sigText, err := os.ReadFile(a.Signature)
	if err != nil {
		return TrustedKey{}, fmt.Errorf("%w: %s has no signature (%v): rebuild the release", ErrUnsigned, d, err)
	}
	key, err := checkSigned(keys, p, payload, string(sigText), d, want)
	if err != nil {
		return TrustedKey{}, fmt.Errorf("signature file %s: %w", a.Signature, err)
	}
	tag := a.Service + ":" + d.tag("sig")
	payload, sigB64, err := s.sigAttachment(tag)
	if err != nil {
		return TrustedKey{}, fmt.Errorf("attachment %s: %w", tag, err)
	}
	if _, err := checkSigned(keys, p, payload, sigB64, d, want); err != nil {
		return TrustedKey{}, fmt.Errorf("attachment %s: %w", tag, err)
	}
	return key, nil
}

// checkScan verifies the scan statement and returns the report it binds.
func (s *Store) checkScan(a Artifact, d digest, keys []TrustedKey, p Policy) (Report, error) {
	reportJSON, err := os.ReadFile(a.Scan)
	if err != nil {
		return Report{}, fmt.Errorf("%w: %s has no scan report (%v): rebuild the release", ErrScanBinding, d, err)
	}
	env, err := os.ReadFile(a.ScanStatement)
	if err != nil {
		return Report{}, fmt.Errorf("%w: %w: %s has no signed scan statement (%v): it was built before scans were signed, or the statement was removed; rebuild the release", ErrScanBinding, ErrUnsigned, d, err)
	}
	if _, err := checkScanStatement(env, reportJSON, d, p, keys); err != nil {
		return Report{}, fmt.Errorf("scan statement %s: %w", a.ScanStatement, err)
	}
	r, err := ReadReport(a.Scan)
	if err != nil {
		return Report{}, fmt.Errorf("%w: %v", ErrScanBinding, err)
	}
	return r, nil
}

// trusted returns the keys p trusts: its own, or else the key this store
// signs with (never one read from the state directory).
func (s *Store) trusted(p Policy) ([]TrustedKey, error) {
	if len(p.Keys) > 0 {
		return p.Keys, nil
	}
	if s.signer != nil {
		src := "the configured signing key"
		if ks, ok := s.signer.(*KeySigner); ok {
			src = "signing key " + ks.Source
		}
		k, err := newTrustedKey(s.signer.PublicKey(), src)
		if err != nil {
			return nil, err
		}
		return []TrustedKey{k}, nil
	}
	k, err := defaultPublicKey()
	if err != nil {
		return nil, err
	}
	return []TrustedKey{k}, nil
}

func gateSummary(block string, js []Judgement) string {
	counts := map[string]int{}
	var allowed []string
	for _, j := range js {
		counts[j.Decision]++
		if j.Decision == "allowed" {
			allowed = append(allowed, j.ID+" "+j.Note)
		}
	}
	s := fmt.Sprintf("gate block: %s passed: %d findings, %d below it, %d unreachable, %d allowed", block, len(js), counts["below"], counts["unreachable"], counts["allowed"])
	if len(allowed) > 0 {
		s += " (" + strings.Join(allowed, "; ") + ")"
	}
	return s
}

func dateOf(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return t.UTC().Format(time.DateOnly)
}

func short(commit string) string {
	if len(commit) > 7 {
		return commit[:7]
	}
	return commit
}

// Verify checks the artifact with the default policy: signed by the key this
// store signs with, scan bound, no vulnerability gate. See Check.
func (s *Store) Verify(ctx context.Context, digest string) error {
	_, err := s.Check(ctx, digest, Policy{})
	return err
}

// VerifyWithKey is Verify trusting only the given PEM public key.
func (s *Store) VerifyWithKey(ctx context.Context, digest string, publicKeyPEM []byte) error {
	k, err := newTrustedKey(publicKeyPEM, "given key")
	if err != nil {
		return err
	}
	_, err = s.Check(ctx, digest, Policy{Keys: []TrustedKey{k}})
	return err
}
