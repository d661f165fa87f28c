// Package main (command quote-api) serves price quotes over HTTP.
//
// It listens on HOST:PORT (default 127.0.0.1:8080), logs JSON to stderr and shuts
// down gracefully on SIGTERM or interrupt. QUOTE_API_FAULT_ERROR_RATE (0.005) and
// QUOTE_API_FAULT_JITTER (20ms) inject errors and latency noise on the /v1/ routes,
// to rehearse canary analysis on noisy traffic. The version is stamped at build time:
//
//	go build -ldflags "-X main.version=1.0.0" ./cmd/quote-api
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"quote-api/internal/httpapi"
)

// version is set with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil)).With("service", "quote-api", "version", version)
	faults, err := httpapi.FaultsFromEnv(os.Getenv)
	if err != nil {
		log.Error("fault setting", "err", err)
		os.Exit(2)
	}
	ln, err := net.Listen("tcp", listenAddr(os.Getenv))
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	if err := serve(ctx, log, ln, faults); err != nil {
		log.Error("serve", "err", err)
		os.Exit(1)
	}
}

// listenAddr is HOST:PORT from the environment, defaulting to 127.0.0.1:8080.
func listenAddr(getenv func(string) string) string {
	host, port := getenv("HOST"), getenv("PORT")
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "8080"
	}
	return net.JoinHostPort(host, port)
}

// serve answers on ln until ctx is cancelled, then drains in-flight requests.
func serve(ctx context.Context, log *slog.Logger, ln net.Listener, faults httpapi.Faults) error {
	srv := &http.Server{
		Handler:           faults.Wrap(httpapi.New(log, version, nil)),
		ReadHeaderTimeout: 5 * time.Second,
		WriteTimeout:      15 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	}
	return nil
}
