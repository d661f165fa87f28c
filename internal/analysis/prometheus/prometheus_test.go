package prometheus_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/analysis/prometheus"
)

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts prometheus.Options
		want []string
	}{
		{"empty address", prometheus.Options{}, []string{"address is empty"}},
		{"no scheme", prometheus.Options{Address: "127.0.0.1:9090"}, []string{"not an http(s) URL"}},
		{"ftp", prometheus.Options{Address: "ftp://prom:21"}, []string{"not an http(s) URL"}},
		{"bad template", prometheus.Options{Address: "http://prom:9090", Queries: prometheus.Queries{Requests: "sum({{.Service}"}},
			[]string{"queries.requests"}},
		{"unknown field", prometheus.Options{Address: "http://prom:9090", Queries: prometheus.Queries{Sum: "sum(x{pod=\"{{.Pod}}\"})"}},
			[]string{"queries.sum", "{{.Service}}, {{.Env}}, {{.Version}} and {{.Track}}"}},
		{"everything at once", prometheus.Options{Timeout: -time.Second, Queries: prometheus.Queries{Up: "{{", Errors: "{{.X}}"}},
			[]string{"address is empty", "timeout -1s is negative", "queries.up", "queries.errors"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := prometheus.New(tt.opts)
			if err == nil {
				t.Fatalf("New(%+v) = %v, nil; want an error", tt.opts, p)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("New(%+v) error %q does not mention %q", tt.opts, err, w)
				}
			}
		})
	}
	if _, err := prometheus.New(prometheus.Options{Address: "https://prom.example.com/prometheus/"}); err != nil {
		t.Errorf("New with a path prefix: %v", err)
	}
}

// TestAgainstPrometheus covers what the conformance suite does not, on a real server.
func TestAgainstPrometheus(t *testing.T) {
	f := startFleet(t)
	f.send(t, analysis.Query{Service: "contract-api", Env: "prod", Version: "v1.11.3"}, 200, 0, 12)
	f.send(t, analysis.Query{Service: "contract-api", Env: "prod", Version: "v1.11.3"}, 500, 0, 3)
	f.prom.Settle(t)
	q := analysis.Query{Service: "contract-api", Env: "prod", Version: "v1.11.3"}
	query := func(t *testing.T, queries prometheus.Queries, q analysis.Query) (analysis.Series, error) {
		t.Helper()
		ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
		defer cancel()
		return newProvider(t, f.prom.URL, queries).Query(ctx, q)
	}
	sel := `service="{{.Service}}",env="{{.Env}}",version="{{.Version}}"`

	t.Run("custom queries without routes", func(t *testing.T) {
		got, err := query(t, prometheus.Queries{
			Requests: `sum(slipway_router_requests_total{` + sel + `})`,
			Errors:   `sum(slipway_router_requests_total{` + sel + `,code=~"5.."})`,
			Up:       `vector(1)`,
		}, q)
		if err != nil {
			t.Fatal(err)
		}
		if got.Requests != 15 || got.Errors != 3 || got.Routes != nil || got.Latency.Count != 15 {
			t.Errorf("Query = %v requests, %v errors, routes %v, latency count %v; want 15, 3, nil, 15",
				got.Requests, got.Errors, got.Routes, got.Latency.Count)
		}
	})
	t.Run("values are escaped", func(t *testing.T) {
		for _, v := range []string{`v1"} or vector(1) #`, `v1\`, "v1\nv2"} {
			got, err := query(t, prometheus.Queries{}, analysis.Query{Service: "contract-api", Env: "prod", Version: v})
			if err != nil {
				t.Fatalf("Query(version %q): %v", v, err)
			}
			want := analysis.Series{Version: v, At: got.At}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Query(version %q) (-want +got):\n%s", v, diff)
			}
		}
	})
	t.Run("no router serves the service", func(t *testing.T) {
		_, err := query(t, prometheus.Queries{}, analysis.Query{Service: "ledger", Env: "prod", Version: "v1"})
		if !errors.Is(err, prometheus.ErrNotLive) {
			t.Errorf("Query(unknown service) error = %v, want ErrNotLive", err)
		}
	})
	t.Run("server answers an error", func(t *testing.T) {
		_, err := query(t, prometheus.Queries{Requests: `sum by (route) (`}, q)
		if err == nil || !strings.Contains(err.Error(), "bad_data") || !strings.Contains(err.Error(), "queries.requests") {
			t.Errorf("Query with invalid PromQL error = %v, want the server's bad_data naming queries.requests", err)
		}
	})
	t.Run("inconsistent queries", func(t *testing.T) {
		tests := []struct {
			name string
			q    prometheus.Queries
			want string
		}{
			{"errors exceed requests", prometheus.Queries{Requests: `sum(slipway_router_requests_total{` + sel + `,code=~"5.."})`,
				Errors: `sum(slipway_router_requests_total{` + sel + `})`}, "exceed"},
			{"buckets without le", prometheus.Queries{Buckets: `sum(slipway_router_request_duration_seconds_bucket{` + sel + `})`}, "no le label"},
			{"buckets not aggregated", prometheus.Queries{Buckets: `sum by (le) (slipway_router_request_duration_seconds_bucket{` + sel + `})` +
				` or label_replace(sum by (le) (slipway_router_request_duration_seconds_bucket{` + sel + `}), "copy", "1", "", "")`}, "aggregate the buckets"},
			{"range vector", prometheus.Queries{Sum: `slipway_router_request_duration_seconds_sum{` + sel + `}[1m]`}, "want an instant vector"},
			{"NaN", prometheus.Queries{Sum: `vector(NaN)`}, "not a finite number"},
			{"up is zero", prometheus.Queries{Up: `vector(0)`}, "down"},
		}
		for _, tt := range tests {
			_, err := query(t, tt.q, q)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: Query error = %v, want one containing %q", tt.name, err, tt.want)
			}
		}
	})
	t.Run("scrape target down", func(t *testing.T) { // last: stops the main router
		f.stopTarget(t)
		_, err := query(t, prometheus.Queries{}, q)
		if !errors.Is(err, prometheus.ErrNotLive) {
			t.Errorf("Query after the router went down: error = %v, want ErrNotLive", err)
		}
	})
}

// TestNotPrometheus checks answers a Prometheus would not give (a proxy's error
// page, another API) are errors, never data.
func TestNotPrometheus(t *testing.T) {
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
	tests := []struct {
		name, url, want string
	}{
		{"refused", closed, "connection refused"},
		{"proxy error page", serve(502, "text/html", "<html>Bad Gateway</html>"), "not a Prometheus API answer"},
		{"html 200", serve(200, "text/html", "<html></html>"), "not a Prometheus API answer"},
		{"empty json", serve(200, "application/json", "{}"), "not a Prometheus API answer"},
		{"error envelope", serve(503, "application/json", `{"status":"error","errorType":"unavailable","error":"tsdb not ready"}`), "tsdb not ready"},
		{"bad value", serve(200, "application/json", `{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"x"]}]}}`), "value \"x\""},
		{"string result", serve(200, "application/json", `{"status":"success","data":{"resultType":"string","result":[1,"x"]}}`), "want an instant vector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newProvider(t, tt.url, prometheus.Queries{})
			s, err := p.Query(t.Context(), analysis.Query{Service: "contract-api", Env: "prod", Version: "v1"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Query = %+v, %v; want an error containing %q", s, err, tt.want)
			}
		})
	}
}
