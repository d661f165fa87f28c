package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/slipway/slipway/internal/router"
	"github.com/spf13/cobra"
)

func newRouterCmd() *cobra.Command {
	var opts router.Options
	var readyFile string
	cmd := &cobra.Command{
		Use:   "router",
		Short: "Run the data plane: a weighted reverse proxy in front of a service's versions",
		Long: `Run Slipway's router, the data plane of one service in one environment.

The router splits incoming HTTP traffic between versions by weight, and counts
requests, errors and latency per version and route. The control plane sets the
weights through the admin API (PUT /config); the router writes every applied
config to --state before using it and reads it back when it starts, so it keeps
serving the last weights it was given while the control plane is down, restarts
or is upgraded - and across its own restarts.

Admin API (on --admin):
  GET  /config    the applied config (service, env, generation, backends)
  PUT  /config    apply a new config; invalid configs are rejected, nothing changes
  GET  /metrics   Prometheus exposition: slipway_router_requests_total,
                  slipway_router_request_duration_seconds, slipway_router_backend_weight
  GET  /healthz   liveness`,
		Example: `  slipway router --listen 127.0.0.1:8080 --admin 127.0.0.1:9090 --state /var/lib/slipway/router-prod.json
  curl -X PUT 127.0.0.1:9090/config -d '{"service":"api","env":"prod","backends":[
      {"version":"1.11.3","url":"http://127.0.0.1:7001","weight":95},
      {"version":"1.12.0","url":"http://127.0.0.1:7002","weight":5}]}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.Logger = slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), nil))
			ready := cmd.OutOrStdout()
			if readyFile != "" {
				f, err := os.CreateTemp(filepath.Dir(readyFile), ".ready-*")
				if err != nil {
					return fmt.Errorf("router: ready file: %w", err)
				}
				defer f.Close()
				ready = &renameOnWrite{f: f, path: readyFile}
			}
			return router.Run(cmd.Context(), opts, ready)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Listen, "listen", "127.0.0.1:8080", "data plane address (port 0 picks a free port)")
	f.StringVar(&opts.AdminListen, "admin", "127.0.0.1:9090", "admin API and /metrics address")
	f.StringVar(&opts.StatePath, "state", "", "file keeping the last applied config (required to survive restarts)")
	f.StringVar(&readyFile, "ready-file", "", "write the bound addresses as JSON to this file once listening (default: stdout)")
	return cmd
}

// renameOnWrite writes the ready line to a temp file and renames it into place, so a
// reader polling for the file never sees half a line.
type renameOnWrite struct {
	f    *os.File
	path string
}

func (w *renameOnWrite) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		return n, err
	}
	if err := w.f.Sync(); err != nil {
		return n, err
	}
	return n, os.Rename(w.f.Name(), w.path)
}
