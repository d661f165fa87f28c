package controlplane

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/alert/amtest"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/store"
	"github.com/slipway/slipway/internal/vcs"
)

// alertService fails every request to /fail.
const alertService = `package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	http.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", http.StatusInternalServerError) })
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`

const alertConfig = `service: svc
build: {main: .}
pipelines:
  main:
    steps: [{name: test, run: "true"}]
environments:
  - name: dev
    smoke: [{name: health, path: /healthz}]
slo:
  - name: availability
    objective: 99%
    min-requests: 10
`

// TestAlertsReachTheControlPlane runs a control plane and a real Alertmanager
// whose webhook points at the control plane's API: Alertmanager's alert opens an
// incident naming the version deployed before it started, once however often the
// group is re-sent; then the control plane's own burn-rate evaluation of the
// service's objective, fed by the router's counts, fires about the same version
// and joins that incident.
func TestAlertsReachTheControlPlane(t *testing.T) {
	if testing.Short() {
		t.Skip("builds slipway and runs a control plane and Alertmanager")
	}
	if _, ok := amtest.Binary(); !ok {
		t.Skip("Alertmanager not installed (apt-get install prometheus-alertmanager; scripts/test-deps.sh does)")
	}
	// Restored after the control plane stops (cleanups run last in, first out).
	prev := sloInterval
	t.Cleanup(func() { sloInterval = prev })
	sloInterval = 200 * time.Millisecond
	ctx := context.Background()
	repo, err := vcs.Init(ctx, filepath.Join(t.TempDir(), "svc"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"go.mod": "module svc\n\ngo 1.22\n", "main.go": alertService,
		"slipway.yaml": alertConfig, ".gitignore": ".slipway/\n"} {
		if err := os.WriteFile(filepath.Join(repo.Dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := repo.CommitAll(ctx, "feat: the service", time.Time{}); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(repo.Dir, ".slipway")
	startUp(t, repo, data)
	st, err := store.Open(ctx, filepath.Join(data, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	waitEvent(t, st, "deploy.finished", func(e store.Event) bool { return e.Env == "dev" && e.Version == "0.1.0" })
	info, ok := Running(data)
	if !ok || info.API == "" {
		t.Fatalf("control plane info %+v: want a running plane with its API", info)
	}

	am := amtest.Start(t, info.API+AlertmanagerPath, 2*time.Second)
	am.Post(amtest.Alert{StartsAt: time.Now(),
		Labels:      map[string]string{"alertname": "HighErrorRate", "service": "svc", "env": "dev", "severity": "page"},
		Annotations: map[string]string{"summary": "5xx above 5% for 5 minutes"}})
	e := waitEvent(t, st, "alert.firing", func(e store.Event) bool { return e.Incident != "" })
	if e.Version != "0.1.0" || e.Env != "dev" {
		t.Errorf("alert.firing names %s in %s, want 0.1.0 in dev: %s", e.Version, e.Env, e.Message)
	}
	var inc incident.Incident
	if err := st.Get(ctx, "incident", e.Incident, &inc); err != nil {
		t.Fatal(err)
	}
	if inc.AffectedVersion != "0.1.0" || inc.Alert != "HighErrorRate" || inc.Env != "dev" {
		t.Errorf("incident %s: version %q, alert %q, env %q; want 0.1.0, HighErrorRate, dev", inc.ID, inc.AffectedVersion, inc.Alert, inc.Env)
	}
	deadline := time.Now().Add(time.Minute)
	for am.Notifications() < 3 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n := am.Notifications(); n < 3 {
		t.Fatalf("Alertmanager sent %d notifications in a minute, want the group re-sent", n)
	}
	evs, err := st.Events(ctx, store.Filter{Kinds: []string{"alert.firing"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 {
		t.Errorf("alert.firing events = %d after %d notifications, want 1", len(evs), am.Notifications())
	}

	// Half the requests fail: the objective's own alerts fire about 0.1.0.
	url := info.Services[0].Environments[0].URL
	deadline = time.Now().Add(2 * time.Minute)
	var own store.Event
	for own.ID == 0 && time.Now().Before(deadline) {
		for _, path := range []string{"/", "/fail"} {
			for range 10 {
				if resp, err := http.Get(url + path); err == nil {
					resp.Body.Close()
				}
			}
		}
		evs, err := st.Events(ctx, store.Filter{Kinds: []string{"alert.firing"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if a, _ := e.Data["alert"].(map[string]any); a["source"] == "slipway" {
				own = e
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if own.ID == 0 {
		t.Fatal("the objective's burn-rate alert did not fire in two minutes of 50% errors")
	}
	if own.Version != "0.1.0" || own.Incident != inc.ID {
		t.Errorf("own alert: %s (version %s, incident %s), want 0.1.0 joining %s", own.Message, own.Version, own.Incident, inc.ID)
	}
}
