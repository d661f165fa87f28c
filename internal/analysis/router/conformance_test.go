package router_test

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/analysis/providertest"
	provider "github.com/slipway/slipway/internal/analysis/router"
	"github.com/slipway/slipway/internal/router"
)

// TestConformance runs the provider suite against a live router on real listeners,
// with a real backend per version. One router carries one service in one env, so the
// suite's other-service and other-env destinations do not apply here; the router
// provider's own tests cover them.
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

		// Send points all traffic at one version at a time; every version stays
		// configured so that its series stay put.
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
		send(t, analysis.Query{Version: versions[0]}, 200, 0, 0) // configure before the first read

		return &providertest.Source{
			Provider: provider.New(admin.URL, &http.Client{Timeout: 10 * time.Second}),
			Service:  "contract-api", Env: "prod",
			Versions: versions,
			Send:     send,
			// The router counts a request before its response leaves: what a
			// client has seen answered is already on /metrics.
			Settle: func(*testing.T) {},
			Outages: []providertest.Outage{{Name: "router admin stopped", Cause: func(*testing.T) {
				admin.CloseClientConnections()
				admin.Close()
			}}},
		}
	}})
}
