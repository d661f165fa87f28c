package router_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/analysis"
	provider "github.com/slipway/slipway/internal/analysis/router"
	"github.com/slipway/slipway/internal/router"
)

// TestQueryAllReadsThreeTracksInOneScrape reads the stable version, its baseline
// (same version, track baseline) and the candidate with one scrape, each apart.
func TestQueryAllReadsThreeTracksInOneScrape(t *testing.T) {
	stable, base, cand := backend(t, "v1"), backend(t, "v1"), backend(t, "v2")
	r, dataURL, _ := liveRouter(t)
	apply := func(bs ...router.Backend) {
		t.Helper()
		if _, err := r.Apply(router.Config{Service: "quote-api", Env: "prod", Backends: bs}); err != nil {
			t.Fatal(err)
		}
	}
	apply(router.Backend{Version: "v1", URL: stable.URL, Weight: 100})
	send(t, "GET", dataURL+"/q", 20, 200)
	apply(router.Backend{Version: "v1", URL: base.URL, Weight: 100, Track: router.TrackBaseline})
	send(t, "GET", dataURL+"/q", 7, 200)
	send(t, "GET", dataURL+"/q?fail=1", 2, 500)
	apply(router.Backend{Version: "v2", URL: cand.URL, Weight: 100})
	send(t, "GET", dataURL+"/q", 5, 200)

	var scrapes atomic.Int32
	counting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		scrapes.Add(1)
		r.Admin().ServeHTTP(w, req)
	}))
	t.Cleanup(counting.Close)
	p := provider.New(counting.URL, &http.Client{Timeout: 5 * time.Second})
	got, err := p.QueryAll(context.Background(), []analysis.Query{
		{Service: "quote-api", Env: "prod", Version: "v2"},
		{Service: "quote-api", Env: "prod", Version: "v1"},
		{Service: "quote-api", Env: "prod", Version: "v1", Track: analysis.TrackBaseline},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := scrapes.Load(); n != 1 {
		t.Errorf("QueryAll scraped %d times, want once", n)
	}
	want := []struct{ req, errs float64 }{{5, 0}, {20, 0}, {9, 2}}
	for i, w := range want {
		if got[i].Requests != w.req || got[i].Errors != w.errs || got[i].Latency.Count != w.req {
			t.Errorf("series %d = %v requests, %v errors, latency count %v; want %v, %v, %v",
				i, got[i].Requests, got[i].Errors, got[i].Latency.Count, w.req, w.errs, w.req)
		}
	}
	if !got[0].At.Equal(got[2].At) {
		t.Errorf("series read at %v and %v; one scrape stamps one time", got[0].At, got[2].At)
	}
}
