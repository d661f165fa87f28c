package config

import (
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestExampleQuoteAPI parses the second example service's slipway.yaml: a health
// path other than the default, and a rollout compressed for tests.
func TestExampleQuoteAPI(t *testing.T) {
	c, err := Load("../../examples/quote-api/slipway.yaml")
	if err != nil {
		t.Fatalf("Load(quote-api): %v", err)
	}
	if c.Service != "quote-api" || c.Build.Main != "./cmd/quote-api" || c.Build.Health != "/health/ready" {
		t.Errorf("service %q main %q health %q; want quote-api ./cmd/quote-api /health/ready", c.Service, c.Build.Main, c.Build.Health)
	}
	for _, kind := range []string{"branch", "main", "hotfix"} {
		if _, ok := c.Pipelines[kind]; !ok {
			t.Errorf("no %s pipeline", kind)
		}
	}
	dev, ok := c.Env("dev")
	if !ok || len(dev.Smoke) != 2 || dev.Smoke[1].Path != "/v1/quotes?symbol=ACME" {
		t.Errorf("dev smoke = %+v, want health and a quote of ACME", dev)
	}
	prod, ok := c.Env("prod")
	if !ok || prod.Rollout == nil || prod.Promotion != "manual" {
		t.Fatalf("prod = %+v, want a manual promotion with a rollout", prod)
	}
	r := prod.Rollout.Profile(false)
	if diff := cmp.Diff([]int{20, 50, 100}, r.Steps); diff != "" {
		t.Errorf("prod steps (-want +got):\n%s", diff)
	}
	if r.Bake.D() != 4*time.Second || r.Interval.D() != time.Second || r.KeepWarm.D() != 2*time.Minute {
		t.Errorf("bake, interval, keep-warm = %s, %s, %s; want 4s, 1s, 2m", r.Bake.D(), r.Interval.D(), r.KeepWarm.D())
	}
	if r.Analysis.MinRequests != 40 || r.Analysis.OnNoData != "rollback" || len(r.Analysis.Checks) != 2 {
		t.Errorf("analysis = %+v, want min-requests 40, on-no-data rollback, 2 checks", r.Analysis)
	}
	lat := r.Analysis.Checks[0]
	if th, err := lat.Threshold(); lat.Metric != MetricLatencyP95 || err != nil || th != 0.5 || lat.MaxVsStable != 3 {
		t.Errorf("latency check = %+v (%v %v), want latency-p95 at most 500ms and 3x stable", lat, th, err)
	}
	if h := prod.Rollout.Profile(true); !cmp.Equal(h.Steps, []int{20, 100}) || len(h.Analysis.Checks) != 2 {
		t.Errorf("hotfix profile steps %v with %d checks, want [20 100] keeping both checks", h.Steps, len(h.Analysis.Checks))
	}
	if n := Notices("slipway.yaml", mustRead(t, "../../examples/quote-api/slipway.yaml")); len(n) != 0 {
		t.Errorf("Notices(quote-api) = %v, want none", n)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
