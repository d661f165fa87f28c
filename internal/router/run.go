package router

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// Ready is the line Run writes once both listeners are bound.
type Ready struct {
	Listen string `json:"listen"`
	Admin  string `json:"admin"`
}

// Run listens on opts.Listen (data plane) and opts.AdminListen (admin API), then
// serves until ctx is done and shuts down gracefully: requests in flight finish,
// within opts.ShutdownTimeout. Once both addresses are bound it writes one JSON line
// {"listen":"127.0.0.1:1234","admin":"127.0.0.1:1235"} to ready (if not nil), so a
// parent process that passed port 0 learns the ports.
func Run(ctx context.Context, opts Options, ready io.Writer) error {
	r, err := New(opts)
	if err != nil {
		return err
	}
	return r.Serve(ctx, opts, ready)
}

// Serve is Run for a Router already made: it listens on opts.Listen and
// opts.AdminListen and serves r until ctx is done. The other fields of opts are unused.
func (r *Router) Serve(ctx context.Context, opts Options, ready io.Writer) error {
	listen, adminListen, shutdownTimeout := opts.Listen, opts.AdminListen, opts.ShutdownTimeout
	if shutdownTimeout <= 0 {
		shutdownTimeout = 30 * time.Second
	}
	var lc net.ListenConfig
	dl, err := lc.Listen(ctx, "tcp", listen)
	if err != nil {
		return fmt.Errorf("router listen %q: %w", listen, err)
	}
	al, err := lc.Listen(ctx, "tcp", adminListen)
	if err != nil {
		dl.Close()
		return fmt.Errorf("router admin listen %q: %w", adminListen, err)
	}
	errLog := slog.NewLogLogger(r.log.Handler(), slog.LevelWarn)
	data := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: errLog}
	admin := &http.Server{Handler: r.Admin(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second, ErrorLog: errLog}

	errc := make(chan error, 2)
	serve := func(name string, srv *http.Server, l net.Listener) {
		if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("router serve %s on %s: %w", name, l.Addr(), err)
			return
		}
		errc <- nil
	}
	go serve("data plane", data, dl)
	go serve("admin", admin, al)

	addrs := Ready{Listen: dl.Addr().String(), Admin: al.Addr().String()}
	cfg := r.Config()
	r.log.Info("router listening", "service", cfg.Service, "env", cfg.Env,
		"listen", addrs.Listen, "admin", addrs.Admin, "generation", cfg.Generation)
	if ready != nil {
		line, _ := json.Marshal(addrs)
		if _, err := ready.Write(append(line, '\n')); err != nil {
			r.log.Warn("write ready line", "err", err)
		}
	}

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	shutErr := errors.Join(data.Shutdown(sctx), admin.Shutdown(sctx))
	r.closeIdle()
	if serveErr != nil {
		return serveErr
	}
	if shutErr != nil {
		return fmt.Errorf("router shutdown: %w", shutErr)
	}
	r.log.Info("router stopped", "service", cfg.Service, "env", cfg.Env)
	return nil
}

// closeIdle closes the idle backend connections of every proxy.
func (r *Router) closeIdle() {
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	for _, p := range r.proxies {
		p.transport.CloseIdleConnections()
	}
}
