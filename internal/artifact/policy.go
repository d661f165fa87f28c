package artifact

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/config"
)

// TrustedKey is a public key an environment accepts signatures from.
type TrustedKey struct {
	PEM         []byte `json:"-"`
	Fingerprint string `json:"fingerprint"` // see Fingerprint
	Source      string `json:"source"`      // where it was named: a path, $VAR, inline PEM
}

func newTrustedKey(pubPEM []byte, source string) (TrustedKey, error) {
	fp, err := Fingerprint(pubPEM)
	if err != nil {
		return TrustedKey{}, fmt.Errorf("trusted key %s: %w", source, err)
	}
	return TrustedKey{PEM: pubPEM, Fingerprint: fp, Source: source}, nil
}

// Policy is what an environment requires of an artifact before it runs there.
// The zero Policy trusts the key the store signs with and has no vulnerability
// gate.
type Policy struct {
	// Env names the environment, for messages.
	Env string
	// Keys are the public keys whose signatures are accepted. Empty: the
	// store's own signer's public key (never a key read from the state
	// directory).
	Keys []TrustedKey
	// Vulnerabilities gates on the signed scan report; nil gates nothing.
	Vulnerabilities *config.VulnGate
	// Now is the time allowances are judged at. Zero: time.Now().
	Now time.Time
	// From says where the policy was set, for messages that say what to
	// change: a pinned policy file's path; empty for slipway.yaml.
	From string
}

// PolicyFor reads the keys an environment's policy names: each a PEM public key
// file path, a PEM, or ${VAR} holding either. now judges allowances.
func PolicyFor(env string, p config.Policy, now time.Time) (Policy, error) {
	out := Policy{Env: env, Vulnerabilities: p.Vulnerabilities, Now: now}
	for i, spec := range p.Keys {
		k, err := readTrustedKey(spec)
		if err != nil {
			return Policy{}, fmt.Errorf("policy of %s: keys[%d]: %w", env, i, err)
		}
		out.Keys = append(out.Keys, k)
	}
	return out, nil
}

// ParseTrustedKey reads one trusted key spec (see PolicyFor).
func readTrustedKey(spec string) (TrustedKey, error) {
	source := spec
	if strings.Contains(spec, "${") {
		v, err := config.Expand(spec)
		if err != nil {
			return TrustedKey{}, fmt.Errorf("key %s: %w", spec, err)
		}
		spec = v
	}
	if strings.Contains(spec, "-----BEGIN") {
		if source == spec {
			source = "inline PEM"
		}
		return newTrustedKey([]byte(spec), source)
	}
	b, err := os.ReadFile(strings.TrimSpace(spec))
	if err != nil {
		return TrustedKey{}, fmt.Errorf("key %s: %w: give the path of a PEM public key (e.g. the signing.pub beside the signing key)", source, err)
	}
	if strings.Contains(string(b), "PRIVATE KEY") {
		return TrustedKey{}, fmt.Errorf("key %s is a private key: name its public half; a policy never needs the private key", source)
	}
	return newTrustedKey(b, source)
}

func (p Policy) now() time.Time {
	if p.Now.IsZero() {
		return time.Now()
	}
	return p.Now
}

func (p Policy) env() string {
	if p.Env == "" {
		return "this environment"
	}
	return p.Env
}

// field names a field of the policy where a person changes it: in the pinned
// policy file when the policy came from one, else in slipway.yaml.
func (p Policy) field(name string) string {
	if p.From != "" {
		return fmt.Sprintf("%s in %s", name, p.From)
	}
	return fmt.Sprintf("environments[%s].policy.%s in slipway.yaml", p.Env, name)
}

func fingerprints(keys []TrustedKey) string {
	var fs []string
	for _, k := range keys {
		fs = append(fs, k.Fingerprint+" ("+k.Source+")")
	}
	return strings.Join(fs, ", ")
}
