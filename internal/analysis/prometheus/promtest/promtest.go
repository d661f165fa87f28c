// Package promtest runs a real Prometheus server for tests: Debian's prometheus
// package (/usr/bin/prometheus), on a free loopback port, with a temporary config and
// storage, scraping the given targets every second. Tests skip when the binary is not
// installed (apt-get install prometheus).
package promtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Job is the scrape job of the targets given to Start.
const Job = "slipway-router"

// ScrapeInterval is how often the server scrapes its targets.
const ScrapeInterval = time.Second

// Server is one running Prometheus.
type Server struct {
	// URL is the server's base URL, e.g. http://127.0.0.1:41234.
	URL string

	cmd     *exec.Cmd
	done    chan struct{}
	logf    string
	nTarget int
}

// Binary returns the path of the prometheus binary, or "" when it is not installed.
// $SLIPWAY_PROMETHEUS overrides the lookup.
func Binary() string {
	if p := os.Getenv("SLIPWAY_PROMETHEUS"); p != "" {
		return p
	}
	if p, err := exec.LookPath("prometheus"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/prometheus"); err == nil {
		return "/usr/bin/prometheus"
	}
	return ""
}

// Start runs a Prometheus scraping targets (host:port, path /metrics) as job Job and
// returns once it is ready. It skips t when the binary is missing and stops the
// server when t ends.
func Start(t testing.TB, targets ...string) *Server {
	t.Helper()
	bin := Binary()
	if bin == "" {
		t.Skip("prometheus is not installed: apt-get install prometheus (or set SLIPWAY_PROMETHEUS to its binary)")
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	quoted := make([]string, len(targets))
	for i, tg := range targets {
		quoted[i] = strconv.Quote(tg)
	}
	conf := fmt.Sprintf("global:\n  scrape_interval: %s\n  scrape_timeout: %s\nscrape_configs:\n  - job_name: %s\n    static_configs:\n      - targets: [%s]\n",
		ScrapeInterval, ScrapeInterval, Job, strings.Join(quoted, ", "))
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	var lastErr error
	for range 3 { // the free port may be taken between probe and bind
		s, err := start(t, bin, dir, cfg)
		if err == nil {
			s.nTarget = len(targets)
			t.Cleanup(s.Stop)
			return s
		}
		lastErr = err
	}
	t.Fatalf("start prometheus: %v", lastErr)
	return nil
}

func start(t testing.TB, bin, dir, cfg string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	logf := filepath.Join(dir, fmt.Sprintf("prometheus-%d.log", port))
	out, err := os.Create(logf)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	cmd := exec.Command(bin,
		"--config.file="+cfg,
		"--storage.tsdb.path="+filepath.Join(dir, fmt.Sprintf("data-%d", port)),
		"--web.listen-address="+addr,
		"--log.level=warn")
	cmd.Stdout, cmd.Stderr = out, out
	// The server dies with the test binary, even when that is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	s := &Server{URL: "http://" + addr, cmd: cmd, done: make(chan struct{}), logf: logf}
	go func() { cmd.Wait(); close(s.done) }()
	if err := s.waitReady(30 * time.Second); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%w; log:\n%s", err, s.Log())
	}
	return s, nil
}

func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-s.done:
			return errors.New("prometheus exited before it was ready")
		default:
		}
		resp, err := http.Get(s.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond) // poll interval
	}
	return fmt.Errorf("prometheus at %s not ready after %v", s.URL, timeout)
}

// Log returns what the server has logged so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logf)
	return string(b)
}

// Stop terminates the server and waits for it to exit. It is safe to call twice.
func (s *Server) Stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// Settle returns once every target has been scraped, and the scrape committed,
// after Settle was called: what the targets counted before is then queryable.
func (s *Server) Settle(t testing.TB) {
	t.Helper()
	// The up sample of a scrape is committed with the scrape's samples and stamped
	// with its start (aligned to at most a few milliseconds).
	after := float64(time.Now().Add(10*time.Millisecond).UnixMilli()) / 1000
	s.Eventually(t, fmt.Sprintf(`timestamp(up{job=%q})`, Job), func(vs []float64) bool {
		if len(vs) != s.nTarget {
			return false
		}
		for _, v := range vs {
			if v <= after {
				return false
			}
		}
		return true
	})
}

// Eventually polls the instant query promql until ok accepts its sample values,
// failing t after 30 seconds.
func (s *Server) Eventually(t testing.TB, promql string, ok func([]float64) bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last []float64
	var lastErr error
	for time.Now().Before(deadline) {
		last, lastErr = s.Values(t.Context(), promql)
		if lastErr == nil && ok(last) {
			return
		}
		time.Sleep(100 * time.Millisecond) // poll interval
	}
	t.Fatalf("prometheus query %s: last values %v, error %v; condition not met in 30s; log:\n%s", promql, last, lastErr, s.Log())
}

// Values evaluates promql now and returns its sample values.
func (s *Server) Values(ctx context.Context, promql string) ([]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/v1/query?query="+url.QueryEscape(promql), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("query %s: %w", promql, err)
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("query %s: %s", promql, body.Error)
	}
	vs := make([]float64, 0, len(body.Data.Result))
	for _, r := range body.Data.Result {
		str, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			return nil, fmt.Errorf("query %s: value %v: %w", promql, r.Value[1], err)
		}
		vs = append(vs, v)
	}
	return vs, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
