package alert

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/alert/amtest"
	"github.com/slipway/slipway/internal/router"
	"github.com/slipway/slipway/internal/slo"
	"github.com/slipway/slipway/internal/store"
)

// TestPrometheusRulesToIncident runs the whole path at scale: a real router
// carries 1.12.0's traffic, half of it failing; a real Prometheus scrapes it and
// evaluates the rule file slipway slo rules writes; a real Alertmanager posts the
// firing alerts to the receiver, which opens one incident naming 1.12.0.
func TestPrometheusRulesToIncident(t *testing.T) {
	prom, err := exec.LookPath("prometheus")
	if err != nil {
		t.Skip("prometheus not installed (apt-get install prometheus; scripts/test-deps.sh does)")
	}
	w := newWorld(t)
	rc := &Receiver{Marks: w.st, Handle: w.responder.Respond}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	am := amtest.Start(t, srv.URL+"/api/v1/alertmanager", time.Hour)

	backend := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			rw.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer backend.Close()
	rt, err := router.New(router.Options{})
	must(t, err)
	_, err = rt.Apply(router.Config{Service: "contract-api", Env: "prod", Backends: []router.Backend{{Version: "1.12.0", URL: backend.URL, Weight: 100}}})
	must(t, err)
	data, admin := httptest.NewServer(rt), httptest.NewServer(rt.Admin())
	defer data.Close()
	defer admin.Close()

	dir := t.TempDir()
	rules, err := slo.Rules("contract-api", "prod", []slo.Objective{{Name: "availability", Target: 0.999, Period: 30 * 24 * time.Hour, MinRequests: 10}}).YAML()
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "slo.rules.yaml"), rules, 0o644))
	amURL, _ := url.Parse(am.URL)
	adminURL, _ := url.Parse(admin.URL)
	cfg := fmt.Sprintf(`global: {scrape_interval: 1s, scrape_timeout: 1s, evaluation_interval: 1s}
rule_files: [slo.rules.yaml]
alerting:
  alertmanagers:
    - static_configs: [{targets: [%q]}]
scrape_configs:
  - job_name: router
    static_configs: [{targets: [%q]}]
`, amURL.Host, adminURL.Host)
	must(t, os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644))
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, prom, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+addr, "--log.level=warn")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	must(t, cmd.Start())
	defer func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("prometheus log:\n%s", logs.String())
		}
	}()

	deadline := time.Now().Add(2 * time.Minute)
	for len(w.opened) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no incident two minutes into 50%% errors (Alertmanager sent %d notifications)", am.Notifications())
		}
		for _, path := range []string{"/", "/fail"} {
			for range 5 {
				if resp, err := http.Get(data.URL + path); err == nil {
					resp.Body.Close()
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	waitFor(t, "every tier's alert to arrive", func() bool {
		evs, err := w.st.Events(context.Background(), store.Filter{Kinds: []string{"alert.firing"}})
		return err == nil && len(evs) == 3
	})
	if len(w.opened) != 1 || w.opened[0] != "1.12.0: "+slo.AlertName {
		t.Errorf("incidents opened = %q, want one for 1.12.0", w.opened)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	return ln.Addr().String()
}
