package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/slipway/slipway/internal/artifact"
	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/controlplane"
	"github.com/slipway/slipway/internal/delivery"
	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/runtime"
	"github.com/slipway/slipway/internal/store"
)

func digest(b string) string { return "sha256:" + strings.Repeat(b, 32) }

// seedServices adds to seedState what two services sharing one state directory
// leave behind: contract-api's 1.12.1 green in staging waiting for a manual
// promotion to prod, and quote-api's 2.3.1 on its way into prod under rollout
// ro-3. Every instance is down (its pid is not running).
func seedServices(t *testing.T) string {
	t.Helper()
	data := seedState(t)
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(data, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg, err := config.Load(filepath.Join("..", "..", "examples", "contract-api", "slipway.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	quote := config.Config{Service: "quote-api", Environments: []config.Environment{{Name: "dev"}, {Name: "prod", Promotion: "manual", Replicas: 2}}}
	at := time.Date(2026, 2, 5, 11, 0, 0, 0, time.UTC)
	down := func(version string, port int) runtime.Instance {
		return runtime.Instance{ID: "i-" + version, Version: version, URL: "http://127.0.0.1:" + itoa(port), PID: 1 << 22}
	}
	put := func(kind, id string, v any) {
		t.Helper()
		if err := st.Put(ctx, kind, id, v); err != nil {
			t.Fatal(err)
		}
	}
	put("service", cfg.Service, cfg)
	put("service", quote.Service, quote)
	for i, env := range []string{"dev", "staging"} {
		put("deployment", "contract-api/"+env, deploy.Deployment{Service: "contract-api", Env: env, Version: "1.12.1", Digest: digest("ef"),
			SmokeOK: true, DeployedAt: at, Instances: []runtime.Instance{down("1.12.1", 2+i)}})
	}
	for i, env := range []string{"dev", "staging", "prod"} {
		put("router", "contract-api/"+env, controlplane.DataPlane{Service: "contract-api", Env: env, Listen: "127.0.0.1:" + itoa(7101+i)})
	}
	for i, v := range []string{"1.11.3", "1.12.0", "1.12.1"} {
		put("release", "contract-api/"+v, delivery.Release{Version: v, Tag: "v" + v, Commit: strings.Repeat(string(rune('a'+i)), 40),
			Hotfix: v == "1.12.1", Created: at.Add(time.Duration(i) * time.Hour),
			Artifact: artifact.Artifact{Service: "contract-api", Version: v, Digest: digest([]string{"ab", "cd", "ef"}[i])}})
	}
	put("deployment", "quote-api/dev", deploy.Deployment{Service: "quote-api", Env: "dev", Version: "2.3.1", Digest: digest("22"),
		SmokeOK: true, DeployedAt: at, Instances: []runtime.Instance{down("2.3.1", 4)}})
	put("deployment", "quote-api/prod", deploy.Deployment{Service: "quote-api", Env: "prod", Version: "2.3.0", Digest: digest("11"),
		SmokeOK: true, DeployedAt: at, Rollout: "ro-2", Instances: []runtime.Instance{down("2.3.0", 5), down("2.3.0", 6)},
		Warm:    &deploy.Warm{Version: "2.2.9", Digest: digest("09"), WarmUntil: at.Add(time.Minute), Instances: []runtime.Instance{down("2.2.9", 7)}},
		Pending: &deploy.Pending{Version: "2.3.1", Digest: digest("22"), Rollout: "ro-3", Instance: down("2.3.1", 8)}})
	put("router", "quote-api/prod", controlplane.DataPlane{Service: "quote-api", Env: "prod", Listen: "127.0.0.1:7201"})
	for i, v := range []string{"2.3.0", "2.3.1"} {
		put("release", "quote-api/"+v, delivery.Release{Version: v, Tag: "v" + v, Commit: strings.Repeat(string(rune('1'+i)), 40),
			Created: at.Add(time.Duration(i) * time.Hour), Artifact: artifact.Artifact{Service: "quote-api", Version: v, Digest: digest([]string{"11", "22"}[i])}})
	}
	put("rollout", "ro-3", rollout.Rollout{ID: "ro-3", Phase: rollout.Progressing, Weight: 25, Step: 1, StartedAt: at,
		Spec: rollout.Spec{Service: "quote-api", Env: "prod", Profile: "standard", Steps: []int{5, 25, 100},
			Stable: rollout.Release{Version: "2.3.0"}, Candidate: rollout.Release{Version: "2.3.1"}}})
	return data
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestStatusTable(t *testing.T) {
	utcClock(t)
	data := seedServices(t)
	out, err := runCmd(t, newStatusCmd(), "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "status.golden", out)
	out, err = runCmd(t, newStatusCmd(), "--data", data, "--service", "quote-api", "-o", "table")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "status-quote-api.golden", out)
}

func TestStatusJSON(t *testing.T) {
	data := seedServices(t)
	out, err := runCmd(t, newStatusCmd(), "--data", data, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var got statusView
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("status -o json is not JSON: %v\n%s", err, out)
	}
	type env struct{ Name, Version, URL string }
	type rel struct {
		Version, WaitingFor string
		Ready               bool
	}
	var envs []env
	var rels []rel
	var services []string
	for _, s := range got.Services {
		services = append(services, s.Name)
		for _, e := range s.Environments {
			envs = append(envs, env{s.Name + "/" + e.Name, e.Version, e.URL})
		}
		for _, r := range s.Releases {
			rels = append(rels, rel{s.Name + "/" + r.Version, r.WaitingFor, r.Ready})
		}
	}
	if diff := cmp.Diff([]string{"contract-api", "quote-api"}, services); diff != "" {
		t.Errorf("services (-want +got):\n%s", diff)
	}
	wantEnvs := []env{
		{"contract-api/dev", "1.12.1", "http://127.0.0.1:7101"},
		{"contract-api/staging", "1.12.1", "http://127.0.0.1:7102"},
		{"contract-api/prod", "1.11.3", "http://127.0.0.1:7103"},
		{"quote-api/dev", "2.3.1", ""},
		{"quote-api/prod", "2.3.0", "http://127.0.0.1:7201"},
	}
	if diff := cmp.Diff(wantEnvs, envs); diff != "" {
		t.Errorf("environments in config order (-want +got):\n%s", diff)
	}
	wantRels := []rel{
		{"contract-api/1.11.3", "", false},
		{"contract-api/1.12.0", "", false},
		{"contract-api/1.12.1", "prod", true}, // green in staging, prod is manual
		{"quote-api/2.3.0", "", false},
		{"quote-api/2.3.1", "", true}, // already under rollout in prod
	}
	if diff := cmp.Diff(wantRels, rels); diff != "" {
		t.Errorf("releases (-want +got):\n%s", diff)
	}
	q := got.Services[1]
	if p := q.Environments[1]; p.Healthy || p.Replicas != 2 || len(p.Instances) != 2 || p.Candidate == nil || p.Candidate.Rollout != "ro-3" || p.Warm == nil {
		t.Errorf("quote-api prod = %+v; want 2 down instances, warm 2.2.9 and candidate 2.3.1 under ro-3", p)
	}
	if len(q.Rollouts) != 1 || q.Rollouts[0].Phase != rollout.Progressing || q.Rollouts[0].Candidate != "2.3.1" {
		t.Errorf("quote-api rollouts = %+v; want ro-3 progressing", q.Rollouts)
	}
	c := got.Services[0]
	if len(c.Incidents) != 1 || c.Incidents[0].ID != "INC-1" || c.Incidents[0].Version != "1.12.0" {
		t.Errorf("contract-api incidents = %+v; want INC-1 on 1.12.0", c.Incidents)
	}
}

func TestStatusHealthy(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	data := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(data, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.Put(ctx, "deployment", "quote-api/prod", deploy.Deployment{Service: "quote-api", Env: "prod", Version: "2.3.0",
		Instances: []runtime.Instance{{URL: srv.URL}}})
	st.Close()
	out, err := runCmd(t, newStatusCmd(), "--data", data, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var got statusView
	json.Unmarshal([]byte(out), &got)
	if len(got.Services) != 1 || !got.Services[0].Environments[0].Healthy {
		t.Errorf("status with an instance answering = %s; want prod healthy", out)
	}
}

func TestStatusRefusesBadInput(t *testing.T) {
	data := seedServices(t)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", "yaml"}, `unknown output format "yaml" for -o (use -o table or -o json)`},
		{[]string{"--service", "billing"}, `no service "billing" in the state (known: contract-api, quote-api)`},
	} {
		_, err := runCmd(t, newStatusCmd(), append(tt.args, "--data", data)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("status %v: %v, want %q", tt.args, err, tt.want)
		}
	}
}
