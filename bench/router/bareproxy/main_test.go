package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

func TestProxyForwards(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("X-Seen-Forwarded-For", req.Header.Get("X-Forwarded-For"))
		io.WriteString(w, req.Method+" "+req.URL.Path)
	}))
	defer up.Close()
	target, _ := url.Parse(up.URL)
	front := httptest.NewServer(newProxy(target))
	defer front.Close()
	for _, path := range []string{"/contracts/42", "/"} {
		resp, err := http.Get(front.URL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != "GET "+path {
			t.Errorf("GET %s = %d %q, want 200 %q", path, resp.StatusCode, body, "GET "+path)
		}
		if resp.Header.Get("X-Seen-Forwarded-For") != "127.0.0.1" {
			t.Errorf("GET %s: upstream saw X-Forwarded-For %q, want 127.0.0.1", path, resp.Header.Get("X-Seen-Forwarded-For"))
		}
	}
}
