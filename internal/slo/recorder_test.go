package slo

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/router"
	"github.com/slipway/slipway/internal/store"
)

// newRouter serves contract-api in prod through a real router whose backend fails
// /fail with 500 and answers /slow after 300ms.
func newRouter(t *testing.T, version string) (data, admin *httptest.Server) {
	t.Helper()
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/fail":
			w.WriteHeader(http.StatusInternalServerError)
		case "/slow":
			time.Sleep(300 * time.Millisecond)
		}
	}))
	t.Cleanup(backend.Close)
	r, err := router.New(router.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Apply(router.Config{Service: "contract-api", Env: "prod",
		Backends: []router.Backend{{Version: version, URL: backend.URL, Weight: 100}}}); err != nil {
		t.Fatal(err)
	}
	data, admin = httptest.NewServer(r), httptest.NewServer(r.Admin())
	t.Cleanup(data.Close)
	t.Cleanup(admin.Close)
	return data, admin
}

func send(t *testing.T, url, path string, n int) {
	t.Helper()
	for range n {
		resp, err := http.Get(url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
}

func TestRecordFromRouter(t *testing.T) {
	ctx := context.Background()
	s := openSamples(t)
	data, admin := newRouter(t, "1.12.0")
	k := Key{Service: "contract-api", Env: "prod", Version: "1.12.0"}
	send(t, data.URL, "/ok", 5) // before the first scrape: the baseline, not counted
	now := t0
	if err := s.Record(ctx, nil, admin.URL, "contract-api", "prod", now); err != nil {
		t.Fatal(err)
	}
	send(t, data.URL, "/ok", 7)
	send(t, data.URL, "/fail", 2)
	send(t, data.URL, "/slow", 1)
	now = now.Add(20 * time.Second)
	if err := s.Record(ctx, nil, admin.URL, "contract-api", "prod", now); err != nil {
		t.Fatal(err)
	}
	got, err := s.Sum(ctx, k, now, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	fast := got.Within[boundIndex(250*time.Millisecond)]
	if got.Requests != 10 || got.Errors != 2 || fast != 9 {
		t.Errorf("after one scrape: requests %v, errors %v, within 250ms %v; want 10, 2, 9", got.Requests, got.Errors, fast)
	}
	lat := Objective{Target: 0.99, Latency: 250 * time.Millisecond}
	if bad := got.Bad(lat); bad != 1 {
		t.Errorf("Bad(latency 250ms) = %v, want 1", bad)
	}

	// The router restarts: its counters start again from zero.
	data2, admin2 := newRouter(t, "1.12.0")
	send(t, data2.URL, "/fail", 3)
	now = now.Add(time.Minute)
	if err := s.Record(ctx, nil, admin2.URL, "contract-api", "prod", now); err != nil {
		t.Fatal(err)
	}
	got, err = s.Sum(ctx, k, now, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got.Requests != 13 || got.Errors != 5 {
		t.Errorf("after a router restart: requests %v, errors %v; want 13, 5", got.Requests, got.Errors)
	}
}

func TestEvaluateReportsEachFiringOnce(t *testing.T) {
	ctx := context.Background()
	s := openSamples(t)
	marks, err := store.Open(ctx, filepath.Join(t.TempDir(), "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer marks.Close()
	k := Key{Service: "contract-api", Env: "prod", Version: "1.12.0"}
	end := record(t, s, k, phase{minutes: 10, perMin: 100, errors: 0.02}, phase{minutes: 10, perMin: 100})
	now := t0.Add(10*time.Minute - time.Second)
	objs := []Objective{{Name: "availability", Target: 0.999, Period: 30 * 24 * time.Hour, MinRequests: 100}}
	trs, err := s.Evaluate(ctx, marks, "contract-api", objs, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(trs) != 3 || !trs[0].Firing || trs[0].Tier != "page-1h" || !trs[0].Since.Equal(now) {
		t.Fatalf("first evaluation = %+v, want three tiers starting to fire", trs)
	}
	trs, err = s.Evaluate(ctx, marks, "contract-api", objs, now.Add(30*time.Second))
	if err != nil || len(trs) != 0 {
		t.Fatalf("second evaluation = %+v, %v; want no change", trs, err)
	}
	if got := FiringSince(ctx, marks, k, "availability", "page-1h"); !got.Equal(now) {
		t.Errorf("FiringSince = %v, want %v", got, now)
	}
	// Ten healthy minutes later the 5m window is clean: the 1h page stops.
	trs, err = s.Evaluate(ctx, marks, "contract-api", objs, end)
	if err != nil {
		t.Fatal(err)
	}
	if len(trs) != 1 || trs[0].Firing || trs[0].Tier != "page-1h" || !trs[0].Since.Equal(now) {
		t.Errorf("after recovery = %+v, want page-1h to stop, naming when it began", trs)
	}
	if got := FiringSince(ctx, marks, k, "availability", "page-1h"); !got.IsZero() {
		t.Errorf("FiringSince after recovery = %v, want zero", got)
	}
}
