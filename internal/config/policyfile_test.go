package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPolicyFileOverridesTheRepository(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.yaml")
	src := `environments:
  prod:
    keys: [keys/2026.pub, /etc/slipway/2027.pub]
    vulnerabilities: {block: high, max-db-age: 7d}
default:
  keys: [keys/2026.pub]
`
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvPolicy, path)
	f, err := LoadPolicyFile("")
	if err != nil {
		t.Fatal(err)
	}
	loose := Policy{Keys: []string{"attacker.pub"}}
	prod, from := f.For("prod", loose)
	if want := []string{filepath.Join(dir, "keys", "2026.pub"), "/etc/slipway/2027.pub"}; !cmp.Equal(prod.Keys, want) {
		t.Errorf("prod keys = %v, want %v", prod.Keys, want)
	}
	if g := prod.Vulnerabilities; g == nil || g.Block != "high" || g.Unknown != "high" {
		t.Fatalf("prod gate = %+v, want block high, unknown defaulted to high", g)
	} else if age, err := g.MaxAge(); err != nil || age != 7*24*time.Hour {
		t.Errorf("MaxAge() = %v, %v, want 168h", age, err)
	}
	if want := path + " (environments.prod)"; from != want {
		t.Errorf("For(prod) from %q, want %q", from, want)
	}
	dev, from := f.For("dev", loose)
	if len(dev.Keys) != 1 || dev.Vulnerabilities != nil || from != path+" (default)" {
		t.Errorf("For(dev) = %+v from %q, want the default", dev, from)
	}

	var none *PolicyFile
	if p, from := none.For("prod", loose); !cmp.Equal(p, loose) || from != "slipway.yaml" {
		t.Errorf("nil PolicyFile For(prod) = %+v from %q, want slipway.yaml's", p, from)
	}
	t.Setenv(EnvPolicy, "")
	if f, err := LoadPolicyFile(""); f != nil || err != nil {
		t.Errorf("LoadPolicyFile with nothing named = %v, %v, want nil, nil", f, err)
	}
}

func TestPolicyFileProblems(t *testing.T) {
	src := `environments:
  prod:
    keys: [""]
    vulnerabilities: {block: high, max-db-age: a week}
  staging:
    trusted: []
`
	_, err := ParsePolicyFile("policy.yaml", []byte(src))
	if err == nil {
		t.Fatal("ParsePolicyFile accepted a bad file")
	}
	if !strings.Contains(err.Error(), "policy.yaml:6:5: environments.staging.trusted:") {
		t.Errorf("error = %v, want the unknown field located", err)
	}
	src = strings.Replace(src, "  staging:\n    trusted: []\n", "", 1)
	_, err = ParsePolicyFile("policy.yaml", []byte(src))
	want := []string{
		`policy.yaml:3:12: environments.prod.keys[0]: key is empty: give a PEM public key file path, a PEM, or ${VAR}`,
		`policy.yaml:4:48: environments.prod.vulnerabilities.max-db-age: max-db-age "a week" is not an age: write a number of days such as 7d, or hours such as 36h`,
	}
	var got []string
	if ce, ok := err.(*Error); ok {
		for _, p := range ce.Problems {
			got = append(got, p.String())
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s\n(error %v)", diff, err)
	}
	if _, err := ParsePolicyFile("policy.yaml", []byte("# nothing\n")); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty file: error = %v, want one saying it is empty", err)
	}
	if _, err := LoadPolicyFile(filepath.Join(t.TempDir(), "missing.yaml")); err == nil || !strings.Contains(err.Error(), "policy file") {
		t.Errorf("missing file: error = %v", err)
	}
}

func TestMaxAge(t *testing.T) {
	for in, want := range map[string]time.Duration{"": 0, "7d": 7 * 24 * time.Hour, "36h": 36 * time.Hour, "90m": 90 * time.Minute} {
		if got, err := (VulnGate{MaxDBAge: in}).MaxAge(); err != nil || got != want {
			t.Errorf("MaxAge(%q) = %v, %v, want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"0d", "-1d", "7", "week", "-3h"} {
		if _, err := (VulnGate{MaxDBAge: in}).MaxAge(); err == nil {
			t.Errorf("MaxAge(%q) accepted", in)
		}
	}
}
