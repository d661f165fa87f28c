package prometheus_test

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/analysis/prometheus"
	"github.com/slipway/slipway/internal/analysis/prometheus/promtest"
	"github.com/slipway/slipway/internal/analysis/providertest"
	"github.com/slipway/slipway/internal/router"
)

// liveRouter is one in-process router on real listeners, one backend per version.
type liveRouter struct {
	r           *router.Router
	data, admin *httptest.Server
	service     string
	env         string
	versions    []string
	urls        map[string]string
	mu          sync.Mutex
}

func startRouter(t *testing.T, service, env string, versions ...string) *liveRouter {
	t.Helper()
	r, err := router.New(router.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lr := &liveRouter{r: r, service: service, env: env, versions: versions, urls: map[string]string{}}
	for _, v := range versions {
		lr.urls[v] = providertest.NewBackend(t, v).URL
	}
	lr.data, lr.admin = httptest.NewServer(r), httptest.NewServer(r.Admin())
	t.Cleanup(lr.data.Close)
	t.Cleanup(lr.admin.Close)
	lr.point(t, versions[0])
	return lr
}

// point sends all traffic to version; every version stays configured.
func (lr *liveRouter) point(t *testing.T, version string) {
	t.Helper()
	cfg := router.Config{Service: lr.service, Env: lr.env}
	for _, v := range lr.versions {
		w := 0
		if v == version {
			w = 100
		}
		cfg.Backends = append(cfg.Backends, router.Backend{Version: v, URL: lr.urls[v], Weight: w})
	}
	if _, err := lr.r.Apply(cfg); err != nil {
		t.Fatal(err)
	}
}

func (lr *liveRouter) send(t *testing.T, version string, status int, latency time.Duration, n int) {
	t.Helper()
	lr.mu.Lock()
	defer lr.mu.Unlock()
	lr.point(t, version)
	providertest.Drive(t, lr.data.Client(), lr.data.URL, status, latency, n)
}

// target is the router's scrape target, host:port of its admin API.
func (lr *liveRouter) target() string { return strings.TrimPrefix(lr.admin.URL, "http://") }

// fleet is three routers (the queried service and env, the same service in another
// env, another service in the same env) scraped by one real Prometheus.
type fleet struct {
	prom    *promtest.Server
	routers map[[2]string]*liveRouter
	main    *liveRouter
}

func startFleet(t *testing.T) *fleet {
	t.Helper()
	if promtest.Binary() == "" {
		t.Skip("prometheus is not installed: apt-get install prometheus")
	}
	main := startRouter(t, "contract-api", "prod", "v1.11.3", "v1.12.0", "v1.12.1")
	staging := startRouter(t, "contract-api", "staging", "v1.11.3")
	billing := startRouter(t, "billing", "prod", "v1.11.3")
	f := &fleet{main: main, routers: map[[2]string]*liveRouter{}}
	for _, lr := range []*liveRouter{main, staging, billing} {
		f.routers[[2]string{lr.service, lr.env}] = lr
	}
	f.prom = promtest.Start(t, main.target(), staging.target(), billing.target())
	return f
}

func (f *fleet) send(t *testing.T, to analysis.Query, status int, latency time.Duration, n int) {
	t.Helper()
	lr, ok := f.routers[[2]string{to.Service, to.Env}]
	if !ok {
		t.Fatalf("no router for %s/%s", to.Service, to.Env)
	}
	lr.send(t, to.Version, status, latency, n)
}

// stopTarget closes the main router's admin API and waits until Prometheus has
// recorded a failed scrape of it.
func (f *fleet) stopTarget(t *testing.T) {
	f.main.admin.CloseClientConnections()
	f.main.admin.Close()
	f.prom.Eventually(t, fmt.Sprintf(`up{instance=%q}`, f.main.target()), func(vs []float64) bool {
		return len(vs) == 1 && vs[0] == 0
	})
}

func newProvider(t *testing.T, address string, q prometheus.Queries) *prometheus.Provider {
	t.Helper()
	p, err := prometheus.New(prometheus.Options{Address: address, Queries: q, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConformance runs the provider suite against a real Prometheus scraping three
// real routers every second.
func TestConformance(t *testing.T) {
	providertest.Run(t, providertest.Harness{New: func(t *testing.T) *providertest.Source {
		f := startFleet(t)
		return &providertest.Source{
			Provider: newProvider(t, f.prom.URL, prometheus.Queries{}),
			Service:  "contract-api", Env: "prod",
			Versions: [3]string{"v1.11.3", "v1.12.0", "v1.12.1"},
			Others: []analysis.Query{
				{Service: "contract-api", Env: "staging", Version: "v1.11.3"},
				{Service: "billing", Env: "prod", Version: "v1.11.3"},
			},
			Send:   f.send,
			Settle: func(t *testing.T) { f.prom.Settle(t) },
			Outages: []providertest.Outage{
				{Name: "router scrape target down", Cause: f.stopTarget},
				{Name: "prometheus stopped", Cause: func(*testing.T) { f.prom.Stop() }},
			},
		}
	}})
}
