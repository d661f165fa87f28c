// Package main (command contract-api) serves the contract validation API.
//
// It listens on HOST:PORT (default 127.0.0.1:8080), logs JSON to stderr and shuts
// down gracefully on SIGTERM or interrupt. It traces every request with
// OpenTelemetry, exporting over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set,
// and reads feature flags from FEATURE_FLAGS ("contract-rule-validation=off"). The version is stamped at build time:
//
//	go build -ldflags "-X main.version=1.12.0" ./cmd/contract-api
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
	"strings"
	"syscall"
	"time"

	"contract-api/internal/httpapi"
	"contract-api/internal/observability"
)

// version is set with -ldflags "-X main.version=...".
var version = "dev"

// shutdownGrace bounds how long in-flight requests may finish after SIGTERM.
const shutdownGrace = 10 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(observability.WithTraceIDs(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel(os.Getenv("LOG_LEVEL"))}))).
		With("service", "contract-api", "version", version)
	shutdownTracing, err := observability.Tracing(ctx, log, "contract-api", version)
	if err != nil {
		log.Error("tracing", "err", err)
		os.Exit(1)
	}
	defer flush(log, shutdownTracing)
	if err := observability.Flags(os.Getenv); err != nil {
		log.Error("feature flags", "err", err)
		os.Exit(1)
	}

	ln, err := net.Listen("tcp", listenAddr(os.Getenv))
	if err != nil {
		log.Error("listen", "err", err)
		os.Exit(1)
	}
	if err := serve(ctx, log, ln); err != nil {
		log.Error("serve", "err", err)
		flush(log, shutdownTracing)
		os.Exit(1)
	}
}

// flush exports the spans still buffered, for at most a few seconds.
func flush(log *slog.Logger, shutdown func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := shutdown(ctx); err != nil {
		log.Warn("flush traces", "err", err)
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

// logLevel parses LOG_LEVEL (debug, info, warn, error); the default is info.
func logLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.TrimSpace(s))); err != nil {
		return slog.LevelInfo
	}
	return l
}

// serve answers on ln until ctx is cancelled, then drains in-flight requests.
func serve(ctx context.Context, log *slog.Logger, ln net.Listener) error {
	srv := &http.Server{
		Handler:           httpapi.New(log, version),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", ln.Addr(), err)
	}
	log.Info("stopped")
	return nil
}
