package controlplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/slipway/slipway/internal/telemetry"
)

// apiAddrFile remembers the API listener's address, so receivers configured
// against it (an Alertmanager webhook, instances' OTLP endpoint) keep working
// across restarts.
const apiAddrFile = "api.addr"

// API is the control plane's one HTTP listener for what other systems send it:
// OTLP traces from instances, Alertmanager webhooks. Components register their
// handlers on it; it serves until the control plane stops.
type API struct {
	mux  *http.ServeMux
	ln   net.Listener
	srv  *http.Server
	log  *slog.Logger
	mu   sync.Mutex
	seen map[string]bool
	// traces bounds the OTLP receiver's store (UpOptions.Traces).
	traces telemetry.Options
}

// listenAPI opens the API listener on addr; empty addr reuses the address the
// last control plane of data listened on when it is free, else a free loopback
// port. The address is remembered in <data>/api.addr.
func listenAPI(data, addr string, log *slog.Logger) (*API, error) {
	explicit := addr != ""
	if !explicit {
		if b, err := os.ReadFile(filepath.Join(data, apiAddrFile)); err == nil {
			addr = strings.TrimSpace(string(b))
		}
	}
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil && !explicit {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return nil, fmt.Errorf("up: API listener on %s: %w (pick another with --api HOST:PORT)", addr, err)
	}
	if err := os.WriteFile(filepath.Join(data, apiAddrFile), []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
		ln.Close()
		return nil, fmt.Errorf("up: remember the API address: %w", err)
	}
	a := &API{mux: http.NewServeMux(), ln: ln, log: log, seen: map[string]bool{}}
	a.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	a.srv = &http.Server{Handler: a.mux, ReadHeaderTimeout: 10 * time.Second}
	return a, nil
}

// Addr is where the API listens, "127.0.0.1:7480".
func (a *API) Addr() string { return a.ln.Addr().String() }

// URL is the API's base URL, "http://127.0.0.1:7480".
func (a *API) URL() string { return "http://" + a.Addr() }

// Handle registers h for pattern (http.ServeMux patterns: "POST /v1/traces").
// A pattern registers once per control plane: a second registration is an error,
// so a component shared by several services registers from the first.
func (a *API) Handle(pattern string, h http.Handler) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.seen[pattern] {
		return fmt.Errorf("api: %q is already registered", pattern)
	}
	a.seen[pattern] = true
	a.mux.Handle(pattern, h)
	return nil
}

// serve serves until ctx ends, then lets requests in flight finish.
func (a *API) serve(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.srv.Serve(a.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("API listener stopped", "addr", a.Addr(), "err", err)
		}
	}()
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = a.srv.Shutdown(sctx)
	<-done
}

// close releases the listener when the control plane never got to serve.
func (a *API) close() { a.ln.Close() }

// Handle registers h on the control plane's API listener (see API.Handle). It is
// an error on a plane opened outside a running control plane (a CLI command),
// which has no listener.
func (p *Plane) Handle(pattern string, h http.Handler) error {
	if p.api == nil {
		return errors.New("api: this plane is not part of a running control plane")
	}
	return p.api.Handle(pattern, h)
}

// APIURL is the base URL of the control plane's API listener, "" on a plane opened
// outside a running control plane.
func (p *Plane) APIURL() string {
	if p.api == nil {
		return ""
	}
	return p.api.URL()
}
