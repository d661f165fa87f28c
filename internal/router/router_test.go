package router

import (
	"context"
	"math"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitFollowsWeights(t *testing.T) {
	v1, v2 := newBackend(t, "v1"), newBackend(t, "v2")
	rt := start(t, Options{})
	c := httpClient()
	tests := []struct {
		w1, w2    int
		n         int
		tolerance float64 // in percentage points; 0 means exact
	}{
		{w1: 80, w2: 20, n: 2000, tolerance: 5},
		{w1: 50, w2: 50, n: 2000, tolerance: 5},
		{w1: 100, w2: 0, n: 500},
		{w1: 0, w2: 100, n: 500},
	}
	for _, tt := range tests {
		mustApply(t, rt.client, Config{Service: "contract-api", Env: "prod", Backends: []Backend{
			{Version: "v1", URL: v1.URL, Weight: tt.w1},
			{Version: "v2", URL: v2.URL, Weight: tt.w2},
		}})
		counts := map[string]int{}
		for range tt.n {
			code, version, err := get(c, "GET", rt.dataURL+"/contracts/7")
			if err != nil || code != http.StatusOK {
				t.Fatalf("GET = %d, %v; want 200", code, err)
			}
			counts[version]++
		}
		if counts["v1"]+counts["v2"] != tt.n {
			t.Fatalf("weights %d/%d: versions seen %v, want only v1 and v2", tt.w1, tt.w2, counts)
		}
		got := 100 * float64(counts["v1"]) / float64(tt.n)
		if math.Abs(got-float64(tt.w1)) > tt.tolerance {
			t.Errorf("weights %d/%d: v1 served %.1f%% of %d requests, want %d%% ± %.0f", tt.w1, tt.w2, got, tt.n, tt.w1, tt.tolerance)
		}
	}
}

func TestNoBackendsAnswers503(t *testing.T) {
	rt := start(t, Options{})
	code, _, err := get(httpClient(), "GET", rt.dataURL+"/")
	if err != nil || code != http.StatusServiceUnavailable {
		t.Errorf("GET with no config = %d, %v; want 503", code, err)
	}
	mustApply(t, rt.client, Config{Service: "contract-api", Env: "prod"})
	code, _, err = get(httpClient(), "GET", rt.dataURL+"/")
	if err != nil || code != http.StatusServiceUnavailable {
		t.Errorf("GET with empty backends = %d, %v; want 503", code, err)
	}
}

func TestUnreachableBackendIs502(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + l.Addr().String()
	l.Close()
	rt := start(t, Options{})
	mustApply(t, rt.client, Config{Service: "contract-api", Env: "prod", Backends: []Backend{{Version: "v9", URL: dead, Weight: 100}}})
	for range 3 {
		code, version, err := get(httpClient(), "GET", rt.dataURL+"/contracts/1")
		if err != nil || code != http.StatusBadGateway || version != "v9" {
			t.Fatalf("GET to a dead backend = %d %q, %v; want 502 from v9", code, version, err)
		}
	}
	body := scrape(t, rt.adminURL)
	want := `slipway_router_requests_total{code="502",env="prod",route="GET /contracts/:id",service="contract-api",track="main",version="v9"} 3`
	if !contains(body, want) {
		t.Errorf("/metrics lacks %s\n%s", want, body)
	}
}

// TestWeightFlipUnderLoad flips weights, adds and removes versions while clients
// hammer the router: no request may fail.
func TestWeightFlipUnderLoad(t *testing.T) {
	v1, v2 := newBackend(t, "v1"), newBackend(t, "v2")
	rt := start(t, Options{StatePath: t.TempDir() + "/router.json"})
	configs := [][]Backend{
		{{Version: "v1", URL: v1.URL, Weight: 100}},
		{{Version: "v1", URL: v1.URL, Weight: 90}, {Version: "v2", URL: v2.URL, Weight: 10}},
		{{Version: "v1", URL: v1.URL, Weight: 50}, {Version: "v2", URL: v2.URL, Weight: 50}},
		{{Version: "v1", URL: v1.URL, Weight: 0}, {Version: "v2", URL: v2.URL, Weight: 100}},
		{{Version: "v2", URL: v2.URL, Weight: 100}},
	}
	mustApply(t, rt.client, Config{Service: "contract-api", Env: "prod", Backends: configs[0]})

	const workers, perWorker = 8, 250
	var bad, sent atomic.Int64
	seen := sync.Map{}
	var wg sync.WaitGroup
	done := make(chan struct{})
	c := httpClient()
	for range workers {
		wg.Go(func() {
			for range perWorker {
				code, version, err := get(c, "GET", rt.dataURL+"/contracts/1")
				sent.Add(1)
				if err != nil || code/100 != 2 {
					bad.Add(1)
					t.Errorf("GET during flips = %d, %v", code, err)
				}
				seen.Store(version, true)
			}
		})
	}
	go func() { wg.Wait(); close(done) }()
	flips := 0
	for running := true; running; flips++ {
		select {
		case <-done:
			running = false
		default:
			mustApply(t, rt.client, Config{Service: "contract-api", Env: "prod", Backends: configs[flips%len(configs)]})
		}
	}
	if bad.Load() != 0 {
		t.Errorf("%d of %d requests failed during %d weight changes, want 0", bad.Load(), sent.Load(), flips)
	}
	if flips < 5 {
		t.Errorf("only %d weight changes happened during the load, want several", flips)
	}
	for _, v := range []string{"v1", "v2"} {
		if _, ok := seen.Load(v); !ok {
			t.Errorf("version %s never served during the flips", v)
		}
	}
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	slow := newBackendFunc(t, func(w http.ResponseWriter, _ *http.Request) {
		close(entered)
		<-release
		w.Write([]byte("late but whole"))
	})
	rt := start(t, Options{})
	mustApply(t, rt.client, Config{Service: "contract-api", Env: "prod", Backends: []Backend{{Version: "v1", URL: slow.URL, Weight: 100}}})

	type result struct {
		code    int
		version string
		err     error
	}
	res := make(chan result, 1)
	go func() {
		code, version, err := get(httpClient(), "GET", rt.dataURL+"/slow")
		res <- result{code, version, err}
	}()
	<-entered
	stopped := make(chan error, 1)
	go func() { stopped <- rt.stop() }()
	addr := rt.dataURL[len("http://"):]
	waitFor(t, "the data plane to stop accepting", func() bool {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			return true
		}
		conn.Close()
		return false
	})
	close(release)
	got := <-res
	if diff := cmp.Diff(result{code: 200, version: "v1"}, got, cmp.AllowUnexported(result{}), cmp.Comparer(func(a, b error) bool { return a == b })); diff != "" {
		t.Errorf("in-flight request across shutdown (-want +got):\n%s", diff)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve after shutdown = %v, want nil", err)
	}
}

func TestServeReportsListenError(t *testing.T) {
	err := Run(context.Background(), Options{Listen: "127.0.0.1:-1", AdminListen: "127.0.0.1:0"}, nil)
	if err == nil {
		t.Fatal("Run on an invalid port returned nil, want an error")
	}
}

// TestClientGoneIsNotAServerError: a client hanging up before the backend answers is
// counted as 499, which analysis does not count as an error.
func TestClientGoneIsNotAServerError(t *testing.T) {
	entered := make(chan struct{}, 1)
	hang := newBackendFunc(t, func(w http.ResponseWriter, req *http.Request) {
		entered <- struct{}{}
		<-req.Context().Done()
	})
	rt := start(t, Options{})
	mustApply(t, rt.client, Config{Service: "contract-api", Env: "prod", Backends: []Backend{{Version: "v1", URL: hang.URL, Weight: 100}}})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", rt.dataURL+"/contracts/5", nil)
	errc := make(chan error, 1)
	go func() {
		resp, err := httpClient().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-entered
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("canceled request succeeded, want an error")
	}
	want := `slipway_router_requests_total{code="499",env="prod",route="GET /contracts/:id",service="contract-api",track="main",version="v1"} 1`
	waitFor(t, "the 499 to be counted", func() bool { return contains(scrape(t, rt.adminURL), want) })
}
