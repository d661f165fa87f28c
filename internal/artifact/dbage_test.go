package artifact

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/config"
)

func TestCheckDBAge(t *testing.T) {
	modified := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	scanned := time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC)
	r := Report{DB: "file:///var/lib/osv", DBModified: modified, ScannedAt: scanned}
	gate := func(age string) Policy {
		return Policy{Env: "prod", Vulnerabilities: &config.VulnGate{Block: "high", MaxDBAge: age}}
	}
	tests := []struct {
		name    string
		p       Policy
		r       Report
		phrases []string // empty: passes
	}{
		{"no gate", Policy{Env: "prod"}, r, nil},
		{"no limit", gate(""), r, nil},
		{"within the limit", gate("14d"), r, nil},
		{"older than the limit", gate("7d"), r, []string{"the scan of sha256:x on 2026-12-01 used file:///var/lib/osv, last modified 2026-11-20: 11 days old",
			"prod's gate accepts at most 7 days", "environments[prod].policy.vulnerabilities.max-db-age in slipway.yaml: 7d", "update the OSV database"}},
		{"in hours", gate("36h"), r, []string{"accepts at most 36 hours"}},
		{"undated report", gate("7d"), Report{DB: "db", DBModified: modified}, []string{"how old db was at the scan of sha256:x is unknown"}},
		{"undated database", gate("7d"), Report{DB: "db", ScannedAt: scanned}, []string{"is unknown"}},
	}
	for _, tt := range tests {
		err := checkDBAge(tt.p, tt.r, "sha256:x")
		if len(tt.phrases) == 0 {
			if err != nil {
				t.Errorf("%s: checkDBAge = %v, want it to pass", tt.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrStaleDB) {
			t.Errorf("%s: checkDBAge = %v, want ErrStaleDB", tt.name, err)
			continue
		}
		for _, p := range tt.phrases {
			if !strings.Contains(err.Error(), p) {
				t.Errorf("%s: %q does not say %q", tt.name, err, p)
			}
		}
	}
	if got := describeDB(r); got != "file:///var/lib/osv, modified 2026-11-20 (11 days old at the scan on 2026-12-01)" {
		t.Errorf("describeDB = %q", got)
	}
}
