package artifact

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/artifact/registry"
)

// vulnPredicate is cosign's vulnerability predicate (cosign attest --type
// vuln, https://cosign.sigstore.dev/attestation/vuln/v1), with Slipway's scan
// report as the scanner's result.
type vulnPredicate struct {
	Invocation struct {
		Parameters any    `json:"parameters"`
		URI        string `json:"uri"`
		EventID    string `json:"event_id"`
		BuilderID  string `json:"builder.id"`
	} `json:"invocation"`
	Scanner struct {
		URI     string `json:"uri"`
		Version string `json:"version"`
		DB      struct {
			URI     string `json:"uri"`
			Version string `json:"version"`
		} `json:"db"`
		Result *Report `json:"result"`
	} `json:"scanner"`
	Metadata struct {
		ScanStartedOn  time.Time `json:"scanStartedOn"`
		ScanFinishedOn time.Time `json:"scanFinishedOn"`
	} `json:"metadata"`
}

// VulnStatement returns an in-toto statement about the artifact's digest with
// cosign's vulnerability predicate whose result is the artifact's scan report,
// once the signed statement binding that report to the digest verifies with
// the store's key: a registry push signs it as the scan attestation, which a
// deploy from the registry gates on.
func (s *Store) VulnStatement(ctx context.Context, dgst string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	d, err := parseDigest(dgst)
	if err != nil {
		return nil, fmt.Errorf("vulnerability attestation: %w", err)
	}
	a, err := s.get(d)
	if err != nil {
		return nil, fmt.Errorf("vulnerability attestation: %w", err)
	}
	keys, err := s.trusted(Policy{})
	if err != nil {
		return nil, fmt.Errorf("vulnerability attestation of %s: %w", a.Ref, err)
	}
	r, err := s.checkScan(a, d, keys, Policy{})
	if err != nil {
		return nil, fmt.Errorf("vulnerability attestation of %s: %w", a.Ref, err)
	}
	var pred vulnPredicate
	pred.Invocation.BuilderID = "slipway"
	name, version, _ := strings.Cut(r.Scanner, " ")
	pred.Scanner.URI, pred.Scanner.Version = scannerURI(name), version
	pred.Scanner.DB.URI = r.DB
	if !r.DBModified.IsZero() {
		pred.Scanner.DB.Version = r.DBModified.UTC().Format(time.RFC3339)
	}
	pred.Scanner.Result = &r
	pred.Metadata.ScanStartedOn, pred.Metadata.ScanFinishedOn = r.ScannedAt, r.ScannedAt
	stmt := map[string]any{
		"_type":         "https://in-toto.io/Statement/v1",
		"subject":       []map[string]any{{"name": a.Service, "digest": map[string]string{"sha256": d.hex}}},
		"predicateType": registry.PredicateVuln,
		"predicate":     pred,
	}
	b, err := json.Marshal(stmt)
	if err != nil {
		return nil, fmt.Errorf("vulnerability attestation of %s: %w", a.Ref, err)
	}
	return b, nil
}

func scannerURI(name string) string {
	if name == "govulncheck" {
		return "https://pkg.go.dev/golang.org/x/vuln/cmd/govulncheck"
	}
	return name
}
