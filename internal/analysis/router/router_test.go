package router_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/slipway/slipway/internal/analysis"
	provider "github.com/slipway/slipway/internal/analysis/router"
	"github.com/slipway/slipway/internal/router"
)

// backend answers 500 to ?fail=1 and sleeps 30 ms on ?slow=1.
func backend(t *testing.T, version string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Query().Get("slow") == "1" {
			time.Sleep(30 * time.Millisecond) // the latency under test, not a wait
		}
		if req.URL.Query().Get("fail") == "1" {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, version)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// liveRouter serves a router's data plane and admin API on real listeners.
func liveRouter(t *testing.T) (*router.Router, string, string) {
	t.Helper()
	r, err := router.New(router.Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, admin := httptest.NewServer(r), httptest.NewServer(r.Admin())
	t.Cleanup(data.Close)
	t.Cleanup(admin.Close)
	return r, data.URL, admin.URL
}

func send(t *testing.T, method, url string, n, wantCode int) {
	t.Helper()
	for range n {
		req, _ := http.NewRequest(method, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != wantCode {
			t.Fatalf("%s %s = %d, want %d", method, url, resp.StatusCode, wantCode)
		}
	}
}

func TestQueryReadsExactCounts(t *testing.T) {
	v1, v2 := backend(t, "v1"), backend(t, "v2")
	r, dataURL, adminURL := liveRouter(t)
	apply := func(w1, w2 int) {
		t.Helper()
		if _, err := r.Apply(router.Config{Service: "contract-api", Env: "prod", Backends: []router.Backend{
			{Version: "v1", URL: v1.URL, Weight: w1}, {Version: "v2", URL: v2.URL, Weight: w2},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	apply(100, 0)
	send(t, "GET", dataURL+"/contracts/1", 80, 200)
	send(t, "GET", dataURL+"/contracts/2?slow=1", 10, 200)
	send(t, "POST", dataURL+"/contracts", 7, 200)
	send(t, "GET", dataURL+"/contracts/3?fail=1", 3, 500)
	apply(0, 100)
	send(t, "GET", dataURL+"/contracts/1", 11, 200)

	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	p := provider.New(adminURL, &http.Client{Timeout: 5 * time.Second})
	p.Now = func() time.Time { return at }
	ctx := context.Background()

	got, err := p.Query(ctx, analysis.Query{Service: "contract-api", Env: "prod", Version: "v1"})
	if err != nil {
		t.Fatalf("Query v1: %v", err)
	}
	wantRoutes := map[string]analysis.RouteCounts{
		"GET /contracts/:id": {Requests: 93, Errors: 3},
		"POST /contracts":    {Requests: 7},
	}
	if diff := cmp.Diff(wantRoutes, got.Routes); diff != "" {
		t.Errorf("v1 routes (-want +got):\n%s", diff)
	}
	if got.Version != "v1" || !got.At.Equal(at) || got.Requests != 100 || got.Errors != 3 {
		t.Errorf("v1 = version %q at %v, %v requests, %v errors; want v1 at %v, 100 requests, 3 errors",
			got.Version, got.At, got.Requests, got.Errors, at)
	}
	h := got.Latency
	if diff := cmp.Diff(router.DurationBuckets(), h.Bounds); diff != "" {
		t.Errorf("latency bounds (-want +got):\n%s", diff)
	}
	if h.Count != 100 || h.Counts[len(h.Counts)-1] != 100 {
		t.Errorf("latency count = %v, last bucket %v; want 100 and 100", h.Count, h.Counts[len(h.Counts)-1])
	}
	if i := indexOf(h.Bounds, 0.025); h.Counts[i] > 90 {
		t.Errorf("latency bucket <= 25ms holds %v, want at most 90 (10 requests took >= 30ms)", h.Counts[i])
	}
	if h.Sum < 10*0.030 {
		t.Errorf("latency sum = %vs, want at least the 0.3s the slow requests took", h.Sum)
	}
	for i := 1; i < len(h.Counts); i++ {
		if h.Counts[i] < h.Counts[i-1] {
			t.Errorf("latency buckets not cumulative: %v", h.Counts)
			break
		}
	}

	got2, err := p.Query(ctx, analysis.Query{Service: "contract-api", Env: "prod", Version: "v2"})
	if err != nil {
		t.Fatalf("Query v2: %v", err)
	}
	if got2.Requests != 11 || got2.Errors != 0 || got2.Latency.Count != 11 {
		t.Errorf("v2 = %v requests, %v errors, %v latency count; want 11, 0, 11", got2.Requests, got2.Errors, got2.Latency.Count)
	}
}

func TestQueryZeroTraffic(t *testing.T) {
	v1 := backend(t, "v1")
	r, dataURL, adminURL := liveRouter(t)
	if _, err := r.Apply(router.Config{Service: "contract-api", Env: "prod", Backends: []router.Backend{
		{Version: "v1", URL: v1.URL, Weight: 100},
	}}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	p := provider.New(adminURL, nil)
	p.Now = func() time.Time { return at }
	queries := []analysis.Query{
		{Service: "contract-api", Env: "prod", Version: "v1"},    // no request at all yet
		{Service: "contract-api", Env: "prod", Version: "v2"},    // unknown version
		{Service: "contract-api", Env: "staging", Version: "v1"}, // other env
		{Service: "billing", Env: "prod", Version: "v1"},         // other service
	}
	for i, q := range queries {
		got, err := p.Query(context.Background(), q)
		if err != nil {
			t.Fatalf("Query(%+v): %v", q, err)
		}
		want := analysis.Series{Version: q.Version, At: at}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Query(%+v) (-want +got):\n%s", q, diff)
		}
		if i == 0 {
			send(t, "GET", dataURL+"/x", 1, 200) // traffic for v1 in prod only
		}
	}
}

func TestQueryErrors(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	serve := func(status int, contentType, body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}
	text := "text/plain; version=0.0.4; charset=utf-8"
	q := analysis.Query{Service: "contract-api", Env: "prod", Version: "v1"}
	tests := []struct {
		name, url string
		q         analysis.Query
		want      string
	}{
		{"unreachable", closed, q, "connection refused"},
		{"server error", serve(500, text, "down"), q, "500"},
		{"malformed", serve(200, text, "slipway_router_requests_total{service=\"contract-api\" 1\n"), q, "parse exposition"},
		{"wrong type", serve(200, text, "# TYPE slipway_router_requests_total gauge\nslipway_router_requests_total{service=\"contract-api\",env=\"prod\",version=\"v1\",route=\"GET /\",code=\"200\"} 1\n"), q, "want counter"},
		{"bad code", serve(200, text, "slipway_router_requests_total{service=\"contract-api\",env=\"prod\",version=\"v1\",route=\"GET /\",code=\"abc\"} 1\n"), q, "not a status code"},
		{"html", serve(200, "text/html", "<html></html>"), q, "not the Prometheus text format"},
		{"empty query", serve(200, text, ""), analysis.Query{Service: "contract-api"}, "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := provider.New(tt.url, nil).Query(context.Background(), tt.q)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Query = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func indexOf(s []float64, v float64) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}
