package compose_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/analysis/compose"
	"github.com/slipway/slipway/internal/analysis/process"
	routerprovider "github.com/slipway/slipway/internal/analysis/router"
	"github.com/slipway/slipway/internal/router"
	"github.com/slipway/slipway/internal/runtime"
)

// TestQueryAllKeepsTheBaselineApart reads a stable version and its baseline (same
// version, track baseline) through the router and process providers: each query
// gets its own traffic, and the baseline's processes come from the Baseline lookup.
func TestQueryAllKeepsTheBaselineApart(t *testing.T) {
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "ok") }))
	t.Cleanup(ok.Close)
	r, err := router.New(router.Options{})
	if err != nil {
		t.Fatal(err)
	}
	data, admin := httptest.NewServer(r), httptest.NewServer(r.Admin())
	t.Cleanup(data.Close)
	t.Cleanup(admin.Close)
	for _, track := range []string{router.TrackMain, router.TrackBaseline} {
		if _, err := r.Apply(router.Config{Service: "s", Env: "prod", Backends: []router.Backend{{Version: "v1", URL: ok.URL, Weight: 100, Track: track}}}); err != nil {
			t.Fatal(err)
		}
		n := 3
		if track == router.TrackBaseline {
			n = 5
		}
		for range n {
			resp, err := http.Get(data.URL + "/x")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	procs := process.New(func(context.Context, string, string, string) ([]runtime.Instance, error) { return nil, nil })
	procs.Baseline = self
	p, err := compose.New(routerprovider.New(admin.URL, &http.Client{Timeout: 10 * time.Second}), procs)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.QueryAll(t.Context(), []analysis.Query{
		{Service: "s", Env: "prod", Version: "v1"},
		{Service: "s", Env: "prod", Version: "v1", Track: analysis.TrackBaseline},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Requests != 3 || got[0].CPUSeconds != 0 {
		t.Errorf("stable = %v requests, %v CPU seconds; want 3 and none (no instance listed)", got[0].Requests, got[0].CPUSeconds)
	}
	if got[1].Requests != 5 || got[1].CPUSeconds <= 0 || got[1].Version != "v1" {
		t.Errorf("baseline = version %q, %v requests, %v CPU seconds; want v1, 5 and this process's CPU", got[1].Version, got[1].Requests, got[1].CPUSeconds)
	}
}
