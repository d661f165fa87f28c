// Package amtest runs a real Alertmanager for tests: one process per test,
// configured to post its notifications to a webhook, with alerts posted to it
// through its v2 API as Prometheus posts them.
package amtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Binary returns Alertmanager's path: $SLIPWAY_ALERTMANAGER, else
// prometheus-alertmanager (Debian's name) or alertmanager on PATH.
func Binary() (string, bool) {
	if p := os.Getenv("SLIPWAY_ALERTMANAGER"); p != "" {
		return p, true
	}
	for _, name := range []string{"prometheus-alertmanager", "alertmanager"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// Alertmanager is a running Alertmanager.
type Alertmanager struct {
	URL string
	t   *testing.T
}

// Start runs Alertmanager with one route to webhookURL: alerts grouped by
// alertname, service and env, sent after 1s, groups re-sent every repeat (Alertmanager
// re-sends an unchanged group on repeat_interval), resolutions sent too. The test
// is skipped when Alertmanager is not installed (scripts/test-deps.sh installs it).
func Start(t *testing.T, webhookURL string, repeat time.Duration) *Alertmanager {
	t.Helper()
	bin, ok := Binary()
	if !ok {
		t.Skip("Alertmanager not installed (apt-get install prometheus-alertmanager; scripts/test-deps.sh does)")
	}
	dir := t.TempDir()
	cfg := fmt.Sprintf(`route:
  receiver: slipway
  group_by: [alertname, service, env]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: %s
receivers:
  - name: slipway
    webhook_configs:
      - url: %s
        send_resolved: true
`, repeat, strconv.Quote(webhookURL))
	if err := os.WriteFile(filepath.Join(dir, "alertmanager.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--config.file="+filepath.Join(dir, "alertmanager.yml"),
		"--storage.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=warn")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start alertmanager: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("alertmanager log:\n%s", logs.String())
		}
	})
	am := &Alertmanager{URL: "http://" + addr, t: t}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(am.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return am
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("alertmanager not ready at %s after 30s: %v\n%s", am.URL, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Alert is one alert as Prometheus posts it to Alertmanager's v2 API.
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Post sends alerts to Alertmanager (POST /api/v2/alerts).
func (am *Alertmanager) Post(alerts ...Alert) {
	am.t.Helper()
	body, err := json.Marshal(alerts)
	if err != nil {
		am.t.Fatal(err)
	}
	resp, err := http.Post(am.URL+"/api/v2/alerts", "application/json", bytes.NewReader(body))
	if err != nil {
		am.t.Fatalf("post alerts: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		am.t.Fatalf("post alerts: %s: %s", resp.Status, b)
	}
}

// Notifications returns how many webhook notifications Alertmanager has sent
// (alertmanager_notifications_total for the webhook integration).
func (am *Alertmanager) Notifications() int {
	am.t.Helper()
	resp, err := http.Get(am.URL + "/metrics")
	if err != nil {
		am.t.Fatalf("alertmanager metrics: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, `alertmanager_notifications_total{integration="webhook"}`) {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			return int(v)
		}
	}
	return 0
}
