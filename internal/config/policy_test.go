package config

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPolicyProblems(t *testing.T) {
	src := minimal + `environments:
  - name: prod
    policy:
      keys: [""]
      vulnerabilities:
        block: severe
        allow:
          - {id: GO-2024-0001, until: 31/01/2027, reason: waiting for upstream}
          - {id: "", until: 2027-01-31}
`
	want := []string{
		`slipway.yaml:10:14: environments[0].policy.keys[0]: key is empty: give a PEM public key file path, a PEM, or ${VAR}`,
		`slipway.yaml:12:16: environments[0].policy.vulnerabilities.block: unknown severity "severe": valid values are low, medium, high, critical`,
		`slipway.yaml:14:39: environments[0].policy.vulnerabilities.allow[0].until: until "31/01/2027" is not a date: write YYYY-MM-DD, e.g. 2027-01-31`,
		`slipway.yaml:15:13: environments[0].policy.vulnerabilities.allow[1].reason: reason is required: say why the advisory is accepted (it is shown with every deploy it lets through)`,
		`slipway.yaml:15:18: environments[0].policy.vulnerabilities.allow[1].id: id is required: the advisory to let through, e.g. GO-2024-1234 or CVE-2024-1234`,
	}
	if diff := cmp.Diff(want, problemsOf(t, src)); diff != "" {
		t.Errorf("Parse problems (-want +got):\n%s", diff)
	}
}

func TestPolicyParsed(t *testing.T) {
	src := minimal + `artifacts:
  signing-key: ${SLIPWAY_SIGNING_KEY}
  vulndb: /var/lib/osv/go
environments:
  - name: prod
    policy:
      keys: [keys/2026.pub, keys/2027.pub]
      vulnerabilities:
        block: high
        allow:
          - {id: GO-2024-0001, until: 2027-01-31, reason: not reachable from our handlers}
`
	c, err := Parse("slipway.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if c.Artifacts.SigningKey != "${SLIPWAY_SIGNING_KEY}" || c.Artifacts.VulnDB != "/var/lib/osv/go" {
		t.Errorf("Artifacts = %+v", c.Artifacts)
	}
	env, _ := c.Env("prod")
	g := env.Policy.Vulnerabilities
	if len(env.Policy.Keys) != 2 || g == nil || g.Block != "high" || g.Unknown != "high" {
		t.Fatalf("Policy = %+v, gate %+v", env.Policy, g)
	}
	until, err := g.Allow[0].UntilTime()
	if want := time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC); err != nil || !until.Equal(want) {
		t.Errorf("UntilTime() = %v, %v, want %v", until, err, want)
	}
}

func TestExpand(t *testing.T) {
	t.Setenv("SLIPWAY_TEST_KEY", "/k.pem")
	if got, err := Expand("${SLIPWAY_TEST_KEY}"); err != nil || got != "/k.pem" {
		t.Errorf("Expand = %q, %v", got, err)
	}
	if _, err := Expand("${SLIPWAY_TEST_UNSET_KEY}"); err == nil || err.Error() != "${SLIPWAY_TEST_UNSET_KEY} not set in the environment" {
		t.Errorf("Expand(unset) error = %v", err)
	}
}
