package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestThreshold(t *testing.T) {
	tests := []struct {
		metric, max string
		want        float64
		wantErr     string
	}{
		{"error-rate", "0.01", 0.01, ""},
		{"error-rate", "1%", 0.01, ""},
		{"error-rate", " 0.5 % ", 0.005, ""},
		{"error-rate", "0", 0, ""},
		{"error-rate", "100%", 1, ""},
		{"error-rate", "5", 0, "outside 0..1"},
		{"error-rate", "-1%", 0, "outside 0..1"},
		{"error-rate", "NaN", 0, "not a ratio"},
		{"error-rate", "lots", 0, "not a ratio"},
		{"latency-p95", "250ms", 0.25, ""},
		{"latency-p99", "1.5s", 1.5, ""},
		{"latency-p95", "0s", 0, "more than zero"},
		{"latency-p95", "0.25", 0, "not a duration"},
		{"latency-p95", "", 0, "max or max-vs-stable is required"},
		{"cpu", "500m", 0.5, ""},
		{"cpu", "2", 2, ""},
		{"cpu", "lots", 0, "not a CPU amount"},
		{"memory", "256Mi", 256 << 20, ""},
		{"memory", "1Gi", 1 << 30, ""},
		{"memory", "300MB", 300e6, ""},
		{"memory", "-1Mi", 0, "not a memory size"},
		{"critical-logs", "0", 0, ""},
		{"critical-logs", "2.5", 0, "not a count"},
		{"saturation", "90%", 0, `unknown metric "saturation"`},
	}
	for _, tt := range tests {
		got, err := MetricCheck{Metric: tt.metric, Max: tt.max}.Threshold()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Threshold(%s, %q) error = %v, want it to contain %q", tt.metric, tt.max, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Threshold(%s, %q) = %v, %v; want %v", tt.metric, tt.max, got, err, tt.want)
		}
	}
}

func TestProfile(t *testing.T) {
	base := Rollout{
		Steps: []int{5, 25, 50, 100}, Bake: Duration(time.Minute), Interval: Duration(10 * time.Second),
		KeepWarm: Duration(time.Hour),
		Analysis: Analysis{Provider: "router", MinRequests: 50, OnNoData: "rollback",
			Checks: []MetricCheck{{Metric: "error-rate", Max: "1%"}}},
	}
	withHotfix := base
	withHotfix.Hotfix = &Profile{Steps: []int{1, 100}, Bake: Duration(2 * time.Minute),
		Checks: []MetricCheck{{Metric: "error-rate", Max: "0.5%"}}}

	tests := []struct {
		name   string
		in     Rollout
		hotfix bool
		want   Rollout
	}{
		{"normal change", withHotfix, false, withHotfix},
		{"hotfix without a profile", base, true, base},
		{"hotfix", withHotfix, true, Rollout{
			Steps: []int{1, 100}, Bake: Duration(2 * time.Minute), Interval: Duration(10 * time.Second),
			KeepWarm: Duration(time.Hour),
			Analysis: Analysis{Provider: "router", MinRequests: 50, OnNoData: "rollback",
				Checks: []MetricCheck{{Metric: "error-rate", Max: "0.5%"}}},
			Hotfix: withHotfix.Hotfix,
		}},
	}
	for _, tt := range tests {
		got := tt.in.Profile(tt.hotfix)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Profile(%v) (-want +got):\n%s", tt.name, tt.hotfix, diff)
		}
		got.Steps[0] = 99
		got.Analysis.Checks[0].Max = "changed"
		if tt.in.Steps[0] == 99 || tt.in.Analysis.Checks[0].Max == "changed" ||
			(tt.in.Hotfix != nil && (tt.in.Hotfix.Steps[0] == 99 || tt.in.Hotfix.Checks[0].Max == "changed")) {
			t.Errorf("%s: Profile shares slices with its receiver", tt.name)
		}
	}
}

func TestWebhookURL(t *testing.T) {
	t.Setenv("SLIPWAY_TEST_HOOK", "https://hooks.example.com/T0/B0/secret")
	got, err := Notify{Webhook: "${SLIPWAY_TEST_HOOK}?channel=ops"}.WebhookURL()
	if err != nil || got != "https://hooks.example.com/T0/B0/secret?channel=ops" {
		t.Errorf("WebhookURL() = %q, %v", got, err)
	}
	t.Setenv("SLIPWAY_TEST_HOOK", "not a url secret")
	_, err = Notify{Webhook: "${SLIPWAY_TEST_HOOK}"}.WebhookURL()
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("WebhookURL() error = %v, want an error that does not show the expanded value", err)
	}
}

func TestStepRender(t *testing.T) {
	vars := StepVars{Commit: "abc", BaseRef: "v1.11.3", Branch: "fix/x", Version: "1.12.1",
		AffectedPackages: Packages{"./internal/domain", "./internal/httpapi"}}
	tests := []struct{ run, want string }{
		{"go test {{.AffectedPackages}}", "go test ./internal/domain ./internal/httpapi"},
		{"slipway check api --base {{.BaseRef}} api/openapi.yaml", "slipway check api --base v1.11.3 api/openapi.yaml"},
		{"echo {{range .AffectedPackages}}[{{.}}]{{end}}", "echo [./internal/domain][./internal/httpapi]"},
	}
	for _, tt := range tests {
		got, err := Step{Name: "s", Run: tt.run}.Render(vars)
		if err != nil || got != tt.want {
			t.Errorf("Render(%q) = %q, %v; want %q", tt.run, got, err, tt.want)
		}
	}
	if _, err := (Step{Name: "s", Run: "{{.Nope}}"}).Render(vars); err == nil {
		t.Errorf("Render({{.Nope}}) succeeded, want an error")
	}
	if (Step{}).Cached() != true || (Step{Cache: ptr(false)}).Cached() != false {
		t.Errorf("Cached() does not default to true or honour false")
	}
}

func FuzzParse(f *testing.F) {
	for _, p := range []string{"testdata/valid.yaml", "../../examples/contract-api/slipway.yaml"} {
		if b, err := os.ReadFile(filepath.FromSlash(p)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(minimal))
	f.Add([]byte("a: &x {b: *x}\n"))
	f.Add([]byte("service: [\n"))
	f.Add([]byte("environments: [{rollout: {steps: [-1], hotfix: {steps: []}}}]\n"))
	f.Add([]byte("<<: {service: x}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if (c == nil) == (err == nil) {
			t.Fatalf("Parse = %v, %v: want exactly one of config and error", c, err)
		}
		if err == nil {
			if err := c.Validate(); err != nil {
				t.Fatalf("Parse accepted a config that Validate rejects: %v", err)
			}
		}
	})
}
