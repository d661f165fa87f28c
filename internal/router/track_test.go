package router

import (
	"fmt"
	"net/http"
	"testing"
)

// TestBaselineTrackCountsApart sends traffic to the stable version's own instance
// and to a baseline instance of the same version: the metrics tell them apart by
// the track label while the responses carry the same version.
func TestBaselineTrackCountsApart(t *testing.T) {
	stable, baseline := newBackend(t, "v1"), newBackend(t, "v1")
	rt := start(t, Options{})
	mustApply(t, rt.client, Config{Service: "contract-api", Env: "prod", Backends: []Backend{
		{Version: "v1", URL: stable.URL, Weight: 50},
		{Version: "v1", URL: baseline.URL, Weight: 50, Track: TrackBaseline},
	}})
	const n = 200
	for range n {
		code, version, err := get(httpClient(), "GET", rt.dataURL+"/contracts/1")
		if err != nil || code != http.StatusOK || version != "v1" {
			t.Fatalf("GET = %d %q, %v; want 200 from v1", code, version, err)
		}
	}
	body := scrape(t, rt.adminURL)
	var main, base int
	line := `slipway_router_requests_total{code="200",env="prod",route="GET /contracts/:id",service="contract-api",track="%s",version="v1"} %d`
	for k := range n + 1 {
		if contains(body, fmt.Sprintf(line, TrackMain, k)+"\n") {
			main = k
		}
		if contains(body, fmt.Sprintf(line, TrackBaseline, k)+"\n") {
			base = k
		}
	}
	if main+base != n || main == 0 || base == 0 {
		t.Errorf("main %d + baseline %d requests, want both > 0 and %d in all\n%s", main, base, n, body)
	}
}

func TestUnknownTrackIsRefused(t *testing.T) {
	err := Config{Service: "s", Env: "e", Backends: []Backend{{Version: "v1", URL: "http://127.0.0.1:1", Weight: 100, Track: "canary"}}}.Validate()
	if !isValidation(err) || !contains(err.Error(), `backends[0].track "canary" is unknown`) {
		t.Errorf("Validate = %v; want the unknown track named", err)
	}
}
