package config

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Artifacts says where the signing key and the vulnerability database come from.
// Neither lives in the state directory: a key there could be replaced together
// with the artifacts it vouches for.
type Artifacts struct {
	// SigningKey is the ECDSA P-256 private key (PKCS#8 PEM) artifacts are signed
	// with: a file path, the PEM itself, or ${VAR} naming an environment variable
	// that holds either. Default: $SLIPWAY_SIGNING_KEY when set, else a key made
	// once under the user's configuration directory (slipway/signing.key).
	SigningKey string `yaml:"signing-key" json:"signing-key,omitempty"`
	// VulnDB is a directory holding an OSV database in the layout govulncheck reads
	// with -db file:///dir (index/db.json, index/modules.json, ID/<id>.json, as in
	// vuln.go.dev's vulndb.zip), or a flat directory of <id>.json entries. ${VAR}
	// is expanded. Default: $SLIPWAY_VULNDB when set, else the small database
	// embedded in Slipway (a demonstration, not a feed).
	VulnDB string `yaml:"vulndb" json:"vulndb,omitempty"`
}

// Policy is what an environment requires of an artifact before it runs there.
type Policy struct {
	// Keys are the public keys whose signatures the environment accepts: each a
	// PEM file path, a PEM, or ${VAR}. Two keys at once let a key be rotated.
	// Default: the public half of the key this Slipway signs with.
	Keys []string `yaml:"keys" json:"keys,omitempty"`
	// Vulnerabilities gates on the artifact's signed scan report. Default: none;
	// the report is still verified and shown.
	Vulnerabilities *VulnGate `yaml:"vulnerabilities" json:"vulnerabilities,omitempty"`
}

// VulnGate refuses artifacts whose scan reports findings at or above a severity.
type VulnGate struct {
	// Block is the lowest severity that refuses a deploy: low, medium, high or
	// critical (required).
	Block string `yaml:"block" json:"block"`
	// Unknown is the severity assumed for an advisory that rates none (Go's own
	// database rates none): low, medium, high or critical. Default high, so an
	// unrated finding is not waved through by "block: high".
	Unknown string `yaml:"unknown" json:"unknown,omitempty"`
	// Reachable, when true, gates only findings whose vulnerable symbol is in the
	// binary (symbol level); findings where only the module matches are reported
	// but do not block. Default false: every finding counts.
	Reachable bool `yaml:"reachable" json:"reachable,omitempty"`
	// MaxDBAge refuses an artifact whose scan ran against a database older than
	// this, measured from the database's last modification to the scan: "7d",
	// "36h". A report that does not say when it was scanned, or against a
	// database of unknown age, is refused too. Default: none (the age is still
	// reported).
	MaxDBAge string `yaml:"max-db-age" json:"max-db-age,omitempty"`
	// Allow lets named advisories through until a date.
	Allow []Allowance `yaml:"allow" json:"allow,omitempty"`
}

// MaxAge is MaxDBAge as a duration; zero when it is unset. Days are written
// "7d"; anything else is a Go duration ("36h").
func (g VulnGate) MaxAge() (time.Duration, error) {
	return parseAge(g.MaxDBAge)
}

// parseAge reads "7d" (days) or a Go duration ("36h", "90m"); "" is zero.
func parseAge(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err == nil && days > 0 {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, fmt.Errorf("max-db-age %q is not an age: write a number of days such as 7d, or hours such as 36h", s)
}

// Allowance accepts one advisory until a date.
type Allowance struct {
	// ID is the OSV id (GO-2024-1234) or an alias (CVE-..., GHSA-...) (required).
	ID string `yaml:"id" json:"id"`
	// Until is the last day (YYYY-MM-DD, UTC) the advisory is let through (required).
	Until string `yaml:"until" json:"until"`
	// Reason says why it is accepted; it is shown with every deploy it lets through
	// (required).
	Reason string `yaml:"reason" json:"reason"`
}

// Severities in increasing order.
var severities = []string{"low", "medium", "high", "critical"}

const defaultUnknownSeverity = "high"

// UntilTime is the first instant after the allowance's last day.
func (a Allowance) UntilTime() (time.Time, error) {
	t, err := time.Parse(time.DateOnly, a.Until)
	if err != nil {
		return time.Time{}, fmt.Errorf("until %q is not a date: write YYYY-MM-DD, e.g. 2027-01-31", a.Until)
	}
	return t.AddDate(0, 0, 1), nil
}

// Expand returns s with ${VAR} references replaced from the process environment;
// it fails naming the variables that are unset, never showing a value.
func Expand(s string) (string, error) {
	var missing []string
	out := os.Expand(s, func(name string) string {
		v, ok := os.LookupEnv(name)
		if !ok {
			missing = append(missing, "${"+name+"}")
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("%s not set in the environment", strings.Join(missing, ", "))
	}
	return out, nil
}

func (e Environment) validatePolicy(field string, ps *problems) {
	e.Policy.validate(field, ps)
}

// validate checks a policy whose fields are named under field.
func (p Policy) validate(field string, ps *problems) {
	for i, k := range p.Keys {
		if strings.TrimSpace(k) == "" {
			ps.add(fmt.Sprintf("%s.keys[%d]", field, i), "key is empty: give a PEM public key file path, a PEM, or ${VAR}")
		}
	}
	g := p.Vulnerabilities
	if g == nil {
		return
	}
	vf := field + ".vulnerabilities"
	if !slices.Contains(severities, g.Block) {
		ps.add(vf+".block", "unknown severity %q: valid values are %s", g.Block, strings.Join(severities, ", "))
	}
	if !slices.Contains(severities, g.Unknown) {
		ps.add(vf+".unknown", "unknown severity %q: valid values are %s", g.Unknown, strings.Join(severities, ", "))
	}
	if _, err := g.MaxAge(); err != nil {
		ps.add(vf+".max-db-age", "%v", err)
	}
	for i, a := range g.Allow {
		af := fmt.Sprintf("%s.allow[%d]", vf, i)
		if strings.TrimSpace(a.ID) == "" {
			ps.add(af+".id", "id is required: the advisory to let through, e.g. GO-2024-1234 or CVE-2024-1234")
		}
		if a.Until == "" {
			ps.add(af+".until", "until is required: the last day the advisory is let through (YYYY-MM-DD); an allowance never lasts forever")
		} else if _, err := a.UntilTime(); err != nil {
			ps.add(af+".until", "%v", err)
		}
		if strings.TrimSpace(a.Reason) == "" {
			ps.add(af+".reason", "reason is required: say why the advisory is accepted (it is shown with every deploy it lets through)")
		}
	}
}
