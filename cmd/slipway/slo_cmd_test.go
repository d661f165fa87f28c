package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/slo"
	"github.com/slipway/slipway/internal/store"
)

const sloYAML = `service: contract-api
build: {main: ./cmd/contract-api}
pipelines:
  main:
    steps:
      - {name: test, run: go test ./...}
environments:
  - name: staging
  - name: prod
slo:
  - name: availability
    objective: 99.9%
  - name: latency
    objective: 99%
    latency: {threshold: 250ms}
`

func runRoot(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestSLORules(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "slipway.yaml")
	if err := os.WriteFile(file, []byte(sloYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runRoot(t, "slo", "rules", "-f", file, "--env", "prod")
	if err != nil {
		t.Fatalf("slo rules: %v", err)
	}
	if !strings.Contains(out, `slipway_router_requests_total{service="contract-api",env="prod",code=~"5.."}[5m]`) ||
		!strings.Contains(out, "alert: SlipwaySLOBurnRate") {
		t.Errorf("slo rules output lacks the prod error ratio or the alert:\n%s", out)
	}
	if promtool, err := exec.LookPath("promtool"); err == nil {
		rules := filepath.Join(dir, "rules.yaml")
		if err := os.WriteFile(rules, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		if b, err := exec.Command(promtool, "check", "rules", rules).CombinedOutput(); err != nil {
			t.Errorf("promtool check rules: %v\n%s", err, b)
		}
	}
	if _, err := runRoot(t, "slo", "rules", "-f", file, "--env", "qa"); err == nil || !strings.Contains(err.Error(), `no environment "qa"`) {
		t.Errorf("slo rules --env qa = %v, want an unknown environment error", err)
	}
}

func TestSLOStatus(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	c, err := config.Parse("slipway.yaml", []byte(sloYAML))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(data, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Put(ctx, "service", c.Service, c); err != nil {
		t.Fatal(err)
	}
	st.Close()
	samples, err := slo.OpenSamples(ctx, filepath.Join(data, "slo.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	within := make([]float64, 13)
	for i := range within {
		within[i] = 200
	}
	for m := range 10 { // 1.12.0: 2% server errors for ten minutes, all fast
		k := slo.Key{Service: "contract-api", Env: "prod", Version: "1.12.0"}
		if err := samples.Add(ctx, k, now.Add(-time.Duration(m)*time.Minute), slo.Counts{Requests: 200, Errors: 4, Within: within}); err != nil {
			t.Fatal(err)
		}
	}
	samples.Close()

	out, err := runRoot(t, "--data", data, "slo", "status", "-o", "json")
	if err != nil {
		t.Fatalf("slo status: %v\n%s", err, out)
	}
	var got struct {
		Objectives []struct{ Name, Kind, Window, Latency string }
		Alerts     []struct {
			Env, Version, SLO, Tier string
			Firing                  bool
			Long                    struct{ Burn float64 }
		}
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("slo status -o json: %v\n%s", err, out)
	}
	if len(got.Objectives) != 2 || got.Objectives[0].Window != "30d" || got.Objectives[1].Kind != "latency" || got.Objectives[1].Latency != "250ms" {
		t.Errorf("objectives = %+v, want availability and latency over 30d, latency within 250ms", got.Objectives)
	}
	var firing []string
	for _, a := range got.Alerts {
		if a.Firing {
			firing = append(firing, a.SLO+"/"+a.Tier)
		}
		if a.SLO == "availability" && a.Tier == "page-1h" && (a.Long.Burn < 19.99 || a.Long.Burn > 20.01) {
			t.Errorf("availability page-1h long burn = %v, want 20 (2%% over a 0.1%% budget)", a.Long.Burn)
		}
	}
	if strings.Join(firing, ",") != "availability/page-1h,availability/page-6h,availability/ticket-3d" {
		t.Errorf("firing = %v, want the availability tiers only", firing)
	}
	table, err := runRoot(t, "--data", data, "slo", "status", "--env", "prod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table, "prod  1.12.0   availability  page-1h    14.4x  20.00x 1h") {
		t.Errorf("slo status table:\n%s", table)
	}
}
