package controlplane

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

func TestAPIListenerRemembersItsAddress(t *testing.T) {
	data := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := listenAPI(data, "", log)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Handle("GET /hello", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hi") })); err != nil {
		t.Fatal(err)
	}
	if err := a.Handle("GET /hello", http.NotFoundHandler()); err == nil {
		t.Fatal("a second registration of the same pattern was accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.serve(ctx); close(done) }()
	resp, err := http.Get(a.URL() + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hi" {
		t.Fatalf("GET /hello = %q, want hi", b)
	}
	addr := a.Addr()
	cancel()
	<-done

	again, err := listenAPI(data, "", log)
	if err != nil {
		t.Fatal(err)
	}
	defer again.close()
	if again.Addr() != addr {
		t.Fatalf("restarted API listens on %s, want the remembered %s", again.Addr(), addr)
	}
	// The remembered address is taken: a free port instead, unless asked explicitly.
	other, err := listenAPI(t.TempDir(), addr, log)
	if err == nil {
		other.close()
		t.Fatal("an explicit busy address was accepted")
	}
	if !strings.Contains(err.Error(), "--api") {
		t.Fatalf("error %q does not say how to pick another address", err)
	}
}

func TestPlaneWithoutAPIRefusesHandlers(t *testing.T) {
	var p Plane
	if err := p.Handle("GET /x", http.NotFoundHandler()); err == nil {
		t.Fatal("a plane outside a control plane accepted a handler")
	}
	if p.APIURL() != "" {
		t.Fatalf("APIURL = %q, want empty", p.APIURL())
	}
}
