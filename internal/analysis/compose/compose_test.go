package compose_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/analysis/compose"
	"github.com/slipway/slipway/internal/analysis/process"
	"github.com/slipway/slipway/internal/analysis/providertest"
	routerprovider "github.com/slipway/slipway/internal/analysis/router"
	"github.com/slipway/slipway/internal/router"
	"github.com/slipway/slipway/internal/runtime"
)

func TestMerge(t *testing.T) {
	t1 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Second)
	bounds := []float64{0.1, 1}
	traffic := analysis.Series{Version: "v2", At: t1, Requests: 10, Errors: 2,
		Routes:  map[string]analysis.RouteCounts{"GET /a": {Requests: 6, Errors: 2}, "GET /b": {Requests: 4}},
		Latency: analysis.Histogram{Bounds: bounds, Counts: []float64{7, 9}, Count: 10, Sum: 2.5}}
	more := analysis.Series{Version: "v2", At: t1, Requests: 5, Errors: 1,
		Routes:  map[string]analysis.RouteCounts{"GET /a": {Requests: 5, Errors: 1}},
		Latency: analysis.Histogram{Bounds: bounds, Counts: []float64{5, 5}, Count: 5, Sum: 0.2}}
	saturation := analysis.Series{Version: "v2", At: t2, CPUSeconds: 1.5, MemoryBytes: 3e7, LogErrors: 4}
	tests := []struct {
		name    string
		in      []analysis.Series
		want    analysis.Series
		wantErr string
	}{
		{"nothing", nil, analysis.Series{}, ""},
		{"traffic and saturation", []analysis.Series{traffic, saturation}, analysis.Series{Version: "v2", At: t2, Requests: 10, Errors: 2,
			Routes: traffic.Routes, Latency: traffic.Latency, CPUSeconds: 1.5, MemoryBytes: 3e7, LogErrors: 4}, ""},
		{"saturation first", []analysis.Series{saturation, traffic}, analysis.Series{Version: "v2", At: t2, Requests: 10, Errors: 2,
			Routes: traffic.Routes, Latency: traffic.Latency, CPUSeconds: 1.5, MemoryBytes: 3e7, LogErrors: 4}, ""},
		{"two traffic sources", []analysis.Series{traffic, more}, analysis.Series{Version: "v2", At: t1, Requests: 15, Errors: 3,
			Routes:  map[string]analysis.RouteCounts{"GET /a": {Requests: 11, Errors: 3}, "GET /b": {Requests: 4}},
			Latency: analysis.Histogram{Bounds: bounds, Counts: []float64{12, 14}, Count: 15, Sum: 2.7}}, ""},
		{"different buckets", []analysis.Series{traffic, {Latency: analysis.Histogram{Bounds: []float64{0.5}, Counts: []float64{1}, Count: 1}}},
			analysis.Series{}, "different buckets"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := compose.Merge(tt.in...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Merge = %v, want an error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Merge (-want +got):\n%s", diff)
			}
		})
	}
	// Merge never writes into its inputs.
	if traffic.Latency.Counts[0] != 7 || traffic.Routes["GET /a"].Requests != 6 {
		t.Errorf("Merge changed its input: %+v", traffic)
	}
}

func TestNew(t *testing.T) {
	if _, err := compose.New(); err == nil {
		t.Error("New() = nil error, want one: no parts")
	}
	if _, err := compose.New(process.New(nil), nil); err == nil {
		t.Error("New(p, nil) = nil error, want one: a nil part")
	}
}

// self is a process lookup answering this test process for every version: real
// CPU and memory readings next to the router's traffic.
func self(context.Context, string, string, string) ([]runtime.Instance, error) {
	return []runtime.Instance{{ID: "self", PID: os.Getpid(), Started: time.Now()}}, nil
}

// TestConformance runs the provider suite against the router provider and the
// process provider together, as a local rollout uses them.
func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{New: func(t *testing.T) *providertest.Source {
		versions := [3]string{"v1.11.3", "v1.12.0", "v1.12.1"}
		urls := map[string]string{}
		for _, v := range versions {
			urls[v] = providertest.NewBackend(t, v).URL
		}
		r, err := router.New(router.Options{})
		if err != nil {
			t.Fatal(err)
		}
		data, admin := httptest.NewServer(r), httptest.NewServer(r.Admin())
		t.Cleanup(data.Close)
		t.Cleanup(admin.Close)
		var mu sync.Mutex
		send := func(t *testing.T, to analysis.Query, status int, latency time.Duration, n int) {
			mu.Lock()
			defer mu.Unlock()
			cfg := router.Config{Service: "contract-api", Env: "prod"}
			for _, v := range versions {
				w := 0
				if v == to.Version {
					w = 100
				}
				cfg.Backends = append(cfg.Backends, router.Backend{Version: v, URL: urls[v], Weight: w})
			}
			if _, err := r.Apply(cfg); err != nil {
				t.Fatal(err)
			}
			providertest.Drive(t, data.Client(), data.URL, status, latency, n)
		}
		send(t, analysis.Query{Version: versions[0]}, 200, 0, 0)
		p, err := compose.New(routerprovider.New(admin.URL, &http.Client{Timeout: 10 * time.Second}), process.New(self))
		if err != nil {
			t.Fatal(err)
		}
		return &providertest.Source{
			Provider: p, Service: "contract-api", Env: "prod", Versions: versions,
			Send: send, Settle: func(*testing.T) {},
			Outages: []providertest.Outage{{Name: "router admin stopped", Cause: func(*testing.T) {
				admin.CloseClientConnections()
				admin.Close()
			}}},
		}
	}})
}

// TestPartFails checks that one failing part fails the whole Query, even when the
// other part reads fine.
func TestPartFails(t *testing.T) {
	r, err := router.New(router.Options{})
	if err != nil {
		t.Fatal(err)
	}
	admin := httptest.NewServer(r.Admin())
	t.Cleanup(admin.Close)
	gone := process.New(func(context.Context, string, string, string) ([]runtime.Instance, error) {
		return nil, errors.New("instance store unavailable")
	})
	p, err := compose.New(routerprovider.New(admin.URL, nil), gone)
	if err != nil {
		t.Fatal(err)
	}
	q := analysis.Query{Service: "contract-api", Env: "prod", Version: "v1"}
	if s, err := p.Query(t.Context(), q); err == nil || !strings.Contains(err.Error(), "instance store unavailable") {
		t.Errorf("Query = %+v, %v; want the process part's error", s, err)
	}
	ok, err := compose.New(routerprovider.New(admin.URL, nil), process.New(self))
	if err != nil {
		t.Fatal(err)
	}
	s, err := ok.Query(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	if s.CPUSeconds <= 0 || s.MemoryBytes <= 0 || s.Version != "v1" {
		t.Errorf("Query = %+v, want this process's CPU and memory under version v1", s)
	}
}
