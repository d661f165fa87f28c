package prometheus_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/analysis/prometheus"
	"github.com/slipway/slipway/internal/analysis/prometheus/promtest"
	"github.com/slipway/slipway/internal/analysis/providertest"
	routerprovider "github.com/slipway/slipway/internal/analysis/router"
	"github.com/slipway/slipway/internal/router"
)

// BenchmarkQuery reads one version's series from the same router directly (the
// embedded provider) and through a real Prometheus scraping it, in one run, so the
// two figures compare.
func BenchmarkQuery(b *testing.B) {
	if promtest.Binary() == "" {
		b.Skip("prometheus is not installed: apt-get install prometheus")
	}
	r, err := router.New(router.Options{})
	if err != nil {
		b.Fatal(err)
	}
	backend := providertest.NewBackend(b, "v1")
	data, admin := httptest.NewServer(r), httptest.NewServer(r.Admin())
	b.Cleanup(data.Close)
	b.Cleanup(admin.Close)
	if _, err := r.Apply(router.Config{Service: "contract-api", Env: "prod", Backends: []router.Backend{{Version: "v1", URL: backend.URL, Weight: 100}}}); err != nil {
		b.Fatal(err)
	}
	providertest.Drive(b, data.Client(), data.URL, 200, 0, 196)
	providertest.Drive(b, data.Client(), data.URL, 500, 0, 4)
	prom := promtest.Start(b, admin.Listener.Addr().String())
	prom.Settle(b)
	p, err := prometheus.New(prometheus.Options{Address: prom.URL})
	if err != nil {
		b.Fatal(err)
	}
	q := analysis.Query{Service: "contract-api", Env: "prod", Version: "v1"}
	for _, bb := range []struct {
		name string
		p    analysis.Provider
	}{
		{"router", routerprovider.New("http://"+admin.Listener.Addr().String(), nil)},
		{"prometheus", p},
	} {
		b.Run(bb.name, func(b *testing.B) {
			for b.Loop() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				s, err := bb.p.Query(ctx, q)
				cancel()
				if err != nil || s.Requests != 200 || s.Errors != 4 {
					b.Fatalf("Query = %v requests, %v errors, %v; want 200, 4", s.Requests, s.Errors, err)
				}
			}
		})
	}
}
