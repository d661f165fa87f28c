package slo

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

func storyObjectives() []Objective {
	return []Objective{
		{Name: "availability", Target: 0.999, Period: 30 * 24 * time.Hour, MinRequests: 100},
		{Name: "latency", Target: 0.99, Period: 30 * 24 * time.Hour, MinRequests: 100, Latency: 250 * time.Millisecond},
	}
}

func TestRulesGolden(t *testing.T) {
	got, err := Rules("contract-api", "prod", storyObjectives()).YAML()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "rules.yaml")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (go test -update writes it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Rules() differs from %s: run go test ./internal/slo -update and review the diff", golden)
	}
}

// promtool returns the path of Prometheus's promtool; CI installs it
// (scripts/test-deps.sh).
func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (apt-get install prometheus; scripts/test-deps.sh does): the exported rules are not checked")
	}
	return p
}

func TestRulesPassPromtoolCheck(t *testing.T) {
	bin := promtool(t)
	dir := t.TempDir()
	for _, env := range []string{"", "prod"} {
		data, err := Rules("contract-api", env, storyObjectives()).YAML()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "rules"+env+".yaml")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "check", "rules", path).CombinedOutput()
		if err != nil {
			t.Fatalf("promtool check rules (env %q): %v\n%s", env, err, out)
		}
		if !strings.Contains(string(out), "SUCCESS: 21 rules found") {
			t.Errorf("promtool check rules (env %q) = %s, want 21 rules (5 traffic, 5 ratios and 3 alerts per objective)", env, out)
		}
	}
}

// TestRulesFireInPrometheus runs the exported rules in promtool's rule test, which
// evaluates them the way Prometheus does over recorded series: the same tiers fire
// as in Slipway's own evaluation.
func TestRulesFireInPrometheus(t *testing.T) {
	bin := promtool(t)
	dir := t.TempDir()
	data, err := Rules("contract-api", "", storyObjectives()).YAML()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	// 1.12.0 in prod: 100 requests a minute, 2 of them failing, 10% answered
	// slower than 250ms. 1.11.4 in prod: healthy.
	// staging: 2% failing at 1 request a minute, below the traffic guard.
	test := `rule_files: [rules.yaml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'slipway_router_requests_total{service="contract-api",env="prod",version="1.12.0",route="POST /v1/contracts/validate",code="200"}'
        values: '0+98x30'
      - series: 'slipway_router_requests_total{service="contract-api",env="prod",version="1.12.0",route="POST /v1/contracts/validate",code="500"}'
        values: '0+2x30'
      - series: 'slipway_router_request_duration_seconds_bucket{service="contract-api",env="prod",version="1.12.0",route="POST /v1/contracts/validate",le="0.25"}'
        values: '0+90x30'
      - series: 'slipway_router_request_duration_seconds_count{service="contract-api",env="prod",version="1.12.0",route="POST /v1/contracts/validate"}'
        values: '0+100x30'
      - series: 'slipway_router_requests_total{service="contract-api",env="prod",version="1.11.4",route="POST /v1/contracts/validate",code="200"}'
        values: '0+100x30'
      - series: 'slipway_router_request_duration_seconds_bucket{service="contract-api",env="prod",version="1.11.4",route="POST /v1/contracts/validate",le="0.25"}'
        values: '0+100x30'
      - series: 'slipway_router_request_duration_seconds_count{service="contract-api",env="prod",version="1.11.4",route="POST /v1/contracts/validate"}'
        values: '0+100x30'
      - series: 'slipway_router_requests_total{service="contract-api",env="staging",version="1.12.0",route="POST /v1/contracts/validate",code="500"}'
        values: '0+1x30'
    alert_rule_test:
      - eval_time: 20m
        alertname: SlipwaySLOBurnRate
        exp_alerts:
` + expAlert("availability", "page-1h", "page", "0.999", "14.4", "1h", "5m", "2%") +
		expAlert("availability", "page-6h", "page", "0.999", "6", "6h", "30m", "2%") +
		expAlert("availability", "ticket-3d", "ticket", "0.999", "1", "3d", "6h", "2%") +
		expAlert("latency", "page-6h", "page", "0.99", "6", "6h", "30m", "10%") +
		expAlert("latency", "ticket-3d", "ticket", "0.99", "1", "3d", "6h", "10%")
	if err := os.WriteFile(filepath.Join(dir, "test.yaml"), []byte(test), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "test", "rules", "test.yaml")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}

// expAlert is one alert promtool must see firing for 1.12.0 in prod.
func expAlert(slo, tier, severity, objective, rate, long, short, ratio string) string {
	spend := map[string]string{"1h": "2", "6h": "5", "3d": "10"}[long]
	return `          - exp_labels: {service: contract-api, env: prod, version: 1.12.0, slo: ` + slo + `, tier: ` + tier +
		`, severity: ` + severity + `, objective: "` + objective + `", window: 30d}
            exp_annotations:
              summary: contract-api 1.12.0 in prod burns its ` + slo + ` budget ` + rate + `x too fast (` + long + ` and ` + short + ` windows)
              description: "The ` + slo + ` objective (` + percent(mustFloat(objective)) + ` over 30d) spends ` + spend + `% of its error budget in ` + long +
		` at this rate. Bad-request ratio over ` + long + `: ` + ratio + `."
`
}

func mustFloat(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic(err)
	}
	return v
}
