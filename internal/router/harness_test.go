package router

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// newBackend starts a real HTTP server that answers with its version. A query
// fail=1 makes it answer 500.
func newBackend(t *testing.T, version string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Query().Get("fail") == "1" {
			http.Error(w, "boom from "+version, http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "%s %s %s", version, req.Method, req.URL.Path)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// running is a router serving on real loopback listeners.
type running struct {
	r        *Router
	dataURL  string
	adminURL string
	client   *Client
	stop     func() error
}

type readyWriter chan []byte

func (c readyWriter) Write(p []byte) (int, error) {
	c <- append([]byte(nil), p...)
	return len(p), nil
}

// start runs a Router from opts on 127.0.0.1:0 and waits for its ready line.
func start(t *testing.T, opts Options) *running {
	t.Helper()
	opts.Listen, opts.AdminListen = "127.0.0.1:0", "127.0.0.1:0"
	r, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(readyWriter, 1)
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, opts, ready) }()
	var addrs Ready
	select {
	case line := <-ready:
		if err := json.Unmarshal(line, &addrs); err != nil {
			t.Fatalf("ready line %q: %v", line, err)
		}
	case err := <-done:
		cancel()
		t.Fatalf("Serve returned before ready: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("router not ready after 10s")
	}
	stopped := false
	var stopErr error
	stop := func() error {
		if !stopped {
			stopped = true
			cancel()
			stopErr = <-done
		}
		return stopErr
	}
	t.Cleanup(func() { _ = stop() })
	adminURL := "http://" + addrs.Admin
	return &running{
		r: r, dataURL: "http://" + addrs.Listen, adminURL: adminURL, stop: stop,
		client: &Client{AdminURL: adminURL, HTTP: &http.Client{Timeout: 10 * time.Second}},
	}
}

// httpClient is a keep-alive client for sending traffic in tests.
func httpClient() *http.Client {
	return &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 64, Proxy: nil},
	}
}

// get sends one request and returns the status code and the serving version.
func get(c *http.Client, method, url string) (int, string, error) {
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, "", err
	}
	return resp.StatusCode, resp.Header.Get(HeaderVersion), nil
}

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}

func mustApply(t *testing.T, c *Client, cfg Config) Config {
	t.Helper()
	got, err := c.Apply(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Apply(%+v): %v", cfg, err)
	}
	return got
}

func isValidation(err error) bool {
	var v *ValidationError
	return errors.As(err, &v)
}

func newBackendFunc(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// scrape returns the router's /metrics text.
func scrape(t *testing.T, adminURL string) string {
	t.Helper()
	resp, err := http.Get(adminURL + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics = %d, %v", resp.StatusCode, err)
	}
	return string(b)
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
