package artifact

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The scan statement binds a scan report to an artifact: an in-toto v1
// statement whose subject is the image digest and whose predicate names the
// report's SHA-256, signed in a DSSE envelope (the format of cosign attest).
// Replacing scan.json, or moving a report from another artifact, no longer
// matches a statement the trusted key signed.
const (
	inTotoPayloadType = "application/vnd.in-toto+json"
	scanPredicateType = "https://slipway.dev/attestations/vulnerability-scan/v1"
)

type dsseEnvelope struct {
	PayloadType string          `json:"payloadType"`
	Payload     string          `json:"payload"` // base64 statement
	Signatures  []dsseSignature `json:"signatures"`
}

type dsseSignature struct {
	KeyID string `json:"keyid"` // the signer's Fingerprint: a hint for messages, never trusted
	Sig   string `json:"sig"`   // base64
}

// scanStatement is the statement's content that verification reads.
type scanStatement struct {
	Type    string `json:"_type"`
	Subject []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
	PredicateType string `json:"predicateType"`
	Predicate     struct {
		Report struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"report"`
		Scanner    string    `json:"scanner"`
		DB         string    `json:"db"`
		DBModified time.Time `json:"dbModified"`
		Findings   int       `json:"findings"`
		Reachable  int       `json:"reachable"`
	} `json:"predicate"`
}

// pae is DSSE's pre-authentication encoding: what is actually signed.
func pae(payloadType string, payload []byte) []byte {
	return []byte("DSSEv1 " + strconv.Itoa(len(payloadType)) + " " + payloadType + " " + strconv.Itoa(len(payload)) + " " + string(payload))
}

// scanEnvelope makes and signs the scan statement for the report bytes.
func scanEnvelope(ctx context.Context, signer Signer, service string, d digest, reportJSON []byte, r Report) ([]byte, error) {
	stmt := map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []map[string]any{{"name": service, "digest": map[string]string{"sha256": d.hex}}},
		"predicateType": scanPredicateType,
		"predicate": map[string]any{
			"report":     map[string]any{"name": fileScan, "digest": map[string]string{"sha256": sha256Hex(reportJSON)}},
			"scanner":    r.Scanner,
			"db":         r.DB,
			"dbModified": r.DBModified,
			"scannedAt":  r.ScannedAt,
			"findings":   len(r.Findings),
			"reachable":  r.Reachable,
		},
	}
	body, err := json.Marshal(stmt)
	if err != nil {
		return nil, fmt.Errorf("scan statement: %w", err)
	}
	sig, err := signer.Sign(ctx, pae(inTotoPayloadType, body))
	if err != nil {
		return nil, fmt.Errorf("sign scan statement: %w", err)
	}
	keyID, err := Fingerprint(signer.PublicKey())
	if err != nil {
		return nil, fmt.Errorf("sign scan statement: %w", err)
	}
	env := dsseEnvelope{PayloadType: inTotoPayloadType, Payload: base64.StdEncoding.EncodeToString(body),
		Signatures: []dsseSignature{{KeyID: keyID, Sig: base64.StdEncoding.EncodeToString(sig)}}}
	out, err := json.MarshalIndent(env, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("scan statement: %w", err)
	}
	return append(out, '\n'), nil
}

// checkScanStatement verifies the envelope with the trusted keys and checks
// that it binds reportJSON to d. It returns the key that signed.
func checkScanStatement(envJSON, reportJSON []byte, d digest, p Policy, keys []TrustedKey) (TrustedKey, error) {
	body, key, err := openDSSE(envJSON, keys, p, "")
	if err != nil {
		return TrustedKey{}, fmt.Errorf("%w: scan statement: %w", ErrScanBinding, err)
	}
	var st scanStatement
	if err := json.Unmarshal(body, &st); err != nil {
		return key, fmt.Errorf("%w: the signed scan statement is not in-toto JSON: %v", ErrScanBinding, err)
	}
	if st.PredicateType != scanPredicateType || len(st.Subject) != 1 || st.Subject[0].Digest["sha256"] != d.hex {
		return key, fmt.Errorf("%w: the signed scan statement is about %s, not %s: it was copied from another artifact", ErrScanBinding, subjectOf(st), d)
	}
	if want, got := st.Predicate.Report.Digest["sha256"], sha256Hex(reportJSON); want != got {
		return key, fmt.Errorf("%w: the scan report hashes to sha256:%s but the signed statement names sha256:%s: the report was replaced or edited after signing; rebuild the release to rescan", ErrScanBinding, short12(got), short12(want))
	}
	return key, nil
}

// openDSSE verifies a DSSE envelope of an in-toto statement with one of keys
// and returns the statement and the key. claimed names the key expected to
// have signed when the envelope names none (see verifyWithAny). Errors wrap
// ErrBadSignature or ErrUntrustedKey.
func openDSSE(envJSON []byte, keys []TrustedKey, p Policy, claimed string) ([]byte, TrustedKey, error) {
	var env dsseEnvelope
	if err := json.Unmarshal(envJSON, &env); err != nil {
		return nil, TrustedKey{}, fmt.Errorf("%w: not a DSSE envelope (%v)", ErrBadSignature, err)
	}
	body, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil || env.PayloadType != inTotoPayloadType || len(env.Signatures) == 0 {
		return nil, TrustedKey{}, fmt.Errorf("%w: the envelope's payload or signature is malformed", ErrBadSignature)
	}
	var sigErr error
	for _, s := range env.Signatures {
		sig, err := base64.StdEncoding.DecodeString(s.Sig)
		if err != nil {
			sigErr = fmt.Errorf("%w: signature is not base64", ErrBadSignature)
			continue
		}
		named := s.KeyID
		if named == "" {
			named = claimed
		}
		key, err := verifyWithAny(keys, pae(env.PayloadType, body), sig, named, p)
		if err == nil {
			return body, key, nil
		}
		sigErr = err
	}
	return nil, TrustedKey{}, sigErr
}

func subjectOf(st scanStatement) string {
	var out []string
	for _, s := range st.Subject {
		out = append(out, "sha256:"+s.Digest["sha256"])
	}
	if len(out) == 0 {
		return "no digest"
	}
	return strings.Join(out, ", ")
}

func short12(hex string) string {
	if len(hex) > 12 {
		return hex[:12] + "..."
	}
	return hex
}
