package router

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkProxy compares a request sent straight to a backend with the same request
// through the router (two backends, 90/10), both over real loopback connections.
//
//	go test -run '^$' -bench Proxy -benchmem ./internal/router/
func BenchmarkProxy(b *testing.B) {
	payload := []byte(`{"id":42,"status":"active"}`)
	newSrv := func() *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write(payload)
		}))
		b.Cleanup(srv.Close)
		return srv
	}
	v1, v2 := newSrv(), newSrv()
	r, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := r.Apply(Config{Service: "bench", Env: "local", Backends: []Backend{
		{Version: "v1", URL: v1.URL, Weight: 90}, {Version: "v2", URL: v2.URL, Weight: 10},
	}}); err != nil {
		b.Fatal(err)
	}
	front := httptest.NewServer(r)
	b.Cleanup(front.Close)

	for _, bc := range []struct{ name, url string }{
		{"direct", v1.URL + "/contracts/42"},
		{"router", front.URL + "/contracts/42"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, Proxy: nil}}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := c.Get(bc.url)
					if err != nil {
						b.Error(err)
						return
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("status %d", resp.StatusCode)
						return
					}
				}
			})
		})
	}
}
