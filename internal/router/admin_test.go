package router

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestMetricsExposeSeries(t *testing.T) {
	v1, v2 := newBackend(t, "v1"), newBackend(t, "v2")
	rt := start(t, Options{})
	mustApply(t, rt.client, Config{Service: "contract-api", Env: "prod", Backends: []Backend{
		{Version: "v1", URL: v1.URL, Weight: 100}, {Version: "v2", URL: v2.URL, Weight: 0},
	}})
	c := httpClient()
	send := func(method, path string, n, wantCode int) {
		t.Helper()
		for range n {
			code, _, err := get(c, method, rt.dataURL+path)
			if err != nil || code != wantCode {
				t.Fatalf("%s %s = %d, %v; want %d", method, path, code, err, wantCode)
			}
		}
	}
	send("GET", "/contracts/17", 5, 200)
	send("GET", "/contracts/3f2a9c1e-7b4d-4e5f-9a0b-1c2d3e4f5a6b?fail=1", 2, 500)
	send("POST", "/contracts", 1, 200)
	body := scrape(t, rt.adminURL)
	for _, want := range []string{
		`slipway_router_requests_total{code="200",env="prod",route="GET /contracts/:id",service="contract-api",track="main",version="v1"} 5`,
		`slipway_router_requests_total{code="500",env="prod",route="GET /contracts/:id",service="contract-api",track="main",version="v1"} 2`,
		`slipway_router_requests_total{code="200",env="prod",route="POST /contracts",service="contract-api",track="main",version="v1"} 1`,
		`slipway_router_request_duration_seconds_bucket{env="prod",route="GET /contracts/:id",service="contract-api",track="main",version="v1",le="0.001"}`,
		`slipway_router_request_duration_seconds_bucket{env="prod",route="GET /contracts/:id",service="contract-api",track="main",version="v1",le="10"} 7`,
		`slipway_router_request_duration_seconds_count{env="prod",route="POST /contracts",service="contract-api",track="main",version="v1"} 1`,
		`slipway_router_backend_weight{env="prod",service="contract-api",version="v1"} 100`,
		`slipway_router_backend_weight{env="prod",service="contract-api",version="v2"} 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// Removing v2 removes its weight gauge.
	mustApply(t, rt.client, Config{Service: "contract-api", Env: "prod", Backends: []Backend{{Version: "v1", URL: v1.URL, Weight: 100}}})
	if body := scrape(t, rt.adminURL); strings.Contains(body, `slipway_router_backend_weight{env="prod",service="contract-api",version="v2"}`) {
		t.Errorf("/metrics still has the weight of removed version v2")
	}
}

func TestAdminEndpoints(t *testing.T) {
	rt := start(t, Options{})
	tests := []struct {
		method, path string
		wantCode     int
		wantBody     string
	}{
		{"GET", "/healthz", 200, `"status":"ok"`},
		{"GET", "/config", 200, `"generation":0`},
		{"POST", "/config", 405, ""},
		{"GET", "/nope", 404, ""},
		{"PUT", "/config", 400, `"problems":["service is empty`},
	}
	for _, tt := range tests {
		body := `{"env":"prod","backends":[]}`
		req, _ := http.NewRequest(tt.method, rt.adminURL+tt.path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tt.wantCode || !strings.Contains(string(got), tt.wantBody) {
			t.Errorf("%s %s = %d %s, want %d containing %q", tt.method, tt.path, resp.StatusCode, got, tt.wantCode, tt.wantBody)
		}
	}
}

func TestClientErrors(t *testing.T) {
	rt := start(t, Options{})
	_, err := rt.client.Apply(context.Background(), Config{Service: "s", Env: "e", Backends: []Backend{{Version: "v1", URL: "http://h", Weight: 50}}})
	if !isValidation(err) || !strings.Contains(err.Error(), "sum to 50") {
		t.Errorf("Client.Apply(bad weights) = %v, want a *ValidationError about the sum", err)
	}
	down := &Client{AdminURL: "http://127.0.0.1:1"}
	if _, err := down.Config(context.Background()); err == nil {
		t.Error("Client.Config against a closed port = nil, want an error")
	}
	notRouter := newBackend(t, "x")
	if _, err := (&Client{AdminURL: notRouter.URL}).Config(context.Background()); err == nil {
		t.Error("Client.Config against a non-router = nil, want an error")
	}
}

// TestInstancesOfOneVersion spreads a version over two instances: both serve, the
// requests and the weight add up under the version's label.
func TestInstancesOfOneVersion(t *testing.T) {
	a, b, v2 := newBackend(t, "v1 a"), newBackend(t, "v1 b"), newBackend(t, "v2")
	rt := start(t, Options{})
	backends := append(Spread("v1", 90, a.URL, b.URL), Spread("v2", 10, v2.URL)...)
	mustApply(t, rt.client, Config{Service: "contract-api", Env: "prod", Backends: backends})
	c := httpClient()
	served := map[string]int{}
	const n = 400
	for range n {
		resp, err := c.Get(rt.dataURL + "/contracts")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		served[strings.Fields(string(body))[1]]++ // "v1 a GET /contracts" -> "a"
	}
	if served["a"] == 0 || served["b"] == 0 {
		t.Errorf("instances of v1 served %v, want both a and b", served)
	}
	body := scrape(t, rt.adminURL)
	v1Count := served["a"] + served["b"]
	for _, want := range []string{
		fmt.Sprintf(`slipway_router_requests_total{code="200",env="prod",route="GET /contracts",service="contract-api",track="main",version="v1"} %d`, v1Count),
		`slipway_router_backend_weight{env="prod",service="contract-api",version="v1"} 90`,
		`slipway_router_backend_weight{env="prod",service="contract-api",version="v2"} 10`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
