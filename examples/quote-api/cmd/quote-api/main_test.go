package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"quote-api/internal/httpapi"
)

func TestListenAddr(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if got := listenAddr(env(nil)); got != "127.0.0.1:8080" {
		t.Errorf("listenAddr() = %q, want 127.0.0.1:8080", got)
	}
	if got := listenAddr(env(map[string]string{"PORT": "9000", "HOST": "0.0.0.0"})); got != "0.0.0.0:9000" {
		t.Errorf("listenAddr(PORT=9000) = %q, want 0.0.0.0:9000", got)
	}
}

func TestServeAndShutdown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)), ln, httpapi.Faults{}) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/health/ready")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /health/ready = %v, %v; want 200", resp, err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve after cancel = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return after cancel")
	}
}
