package prometheus_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/analysis/prometheus"
	"github.com/slipway/slipway/internal/analysis/prometheus/promtest"
	"github.com/slipway/slipway/internal/analysis/providertest"
	"github.com/slipway/slipway/internal/router"
)

// TestQueryAllTellsTheBaselineFromTheStable scrapes, through a real Prometheus, a
// router whose stable version v1 runs on two tracks: its own instance and a
// baseline. The default queries read them apart, at one instant.
func TestQueryAllTellsTheBaselineFromTheStable(t *testing.T) {
	if promtest.Binary() == "" {
		t.Skip("prometheus is not installed: apt-get install prometheus")
	}
	r, err := router.New(router.Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, admin := httptest.NewServer(r), httptest.NewServer(r.Admin())
	t.Cleanup(data.Close)
	t.Cleanup(admin.Close)
	stable, base := providertest.NewBackend(t, "v1").URL, providertest.NewBackend(t, "v1").URL
	only := func(track string) {
		t.Helper()
		cfg := router.Config{Service: "quote-api", Env: "prod", Backends: []router.Backend{
			{Version: "v1", URL: stable, Weight: 100}, {Version: "v1", URL: base, Weight: 0, Track: router.TrackBaseline}}}
		if track == router.TrackBaseline {
			cfg.Backends[0].Weight, cfg.Backends[1].Weight = 0, 100
		}
		if _, err := r.Apply(cfg); err != nil {
			t.Fatal(err)
		}
	}
	only(router.TrackMain)
	providertest.Drive(t, data.Client(), data.URL, 200, 0, 12)
	only(router.TrackBaseline)
	providertest.Drive(t, data.Client(), data.URL, 200, 0, 5)
	providertest.Drive(t, data.Client(), data.URL, 500, 0, 2)
	prom := promtest.Start(t, strings.TrimPrefix(admin.URL, "http://"))
	prom.Settle(t)

	got, err := newProvider(t, prom.URL, prometheus.Queries{}).QueryAll(t.Context(), []analysis.Query{
		{Service: "quote-api", Env: "prod", Version: "v1"},
		{Service: "quote-api", Env: "prod", Version: "v1", Track: analysis.TrackBaseline},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Requests != 12 || got[0].Errors != 0 || got[1].Requests != 7 || got[1].Errors != 2 {
		t.Errorf("stable %v requests %v errors, baseline %v requests %v errors; want 12/0 and 7/2",
			got[0].Requests, got[0].Errors, got[1].Requests, got[1].Errors)
	}
	if got[1].Latency.Count != 7 || !got[0].At.Equal(got[1].At) {
		t.Errorf("baseline latency count %v, read at %v and %v; want 7 at one instant", got[1].Latency.Count, got[0].At, got[1].At)
	}
}
