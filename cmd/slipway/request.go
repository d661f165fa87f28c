package main

import (
	"fmt"
	"io"
	"time"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/controlplane"
	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/notify/console"
	"github.com/slipway/slipway/internal/store"
	"github.com/spf13/cobra"
)

// acceptWithin is how long a command waits for the control plane to take a request.
const acceptWithin = 15 * time.Second

// serviceConfig returns the configuration of the service a command is about:
// --service, or the only one in the state directory.
func serviceConfig(cmd *cobra.Command, st *store.Store) (*config.Config, error) {
	name, _ := cmd.Flags().GetString("service")
	return controlplane.StoredConfig(cmd.Context(), st, name)
}

// submit hands r to the running control plane and, unless wait is false, follows
// it to its end, printing what the control plane journals for the service meanwhile.
func submit(cmd *cobra.Command, st *store.Store, r controlplane.Request, wait bool) (controlplane.Finished, error) {
	data, err := dataDir(cmd)
	if err != nil {
		return controlplane.Finished{}, err
	}
	if _, ok := controlplane.Running(data); !ok {
		return controlplane.Finished{}, fmt.Errorf("%s: no control plane runs for %s: start it with 'slipway up' (it carries out %s)", r.Op, data, r.Op)
	}
	ctx := store.WithActor(cmd.Context(), store.CurrentUser("cli"))
	id, err := controlplane.Submit(ctx, st, r)
	if err != nil {
		return controlplane.Finished{}, err
	}
	out := cmd.OutOrStdout()
	if !wait {
		fmt.Fprintf(out, "request %d queued: follow it with 'slipway history --kind request.*'\n", id)
		return controlplane.Finished{Request: id, OK: true, Outcome: "queued"}, nil
	}
	f, err := controlplane.Await(ctx, st, id, r.Service, acceptWithin, func(e store.Event) { follow(out, e) })
	if err != nil {
		return f, err
	}
	if !f.OK {
		return f, fmt.Errorf("%s", f.Error)
	}
	return f, nil
}

// follow prints one journal event as progress.
func follow(w io.Writer, e store.Event) {
	fmt.Fprintf(w, "  %s  %-20s %s\n", e.Time.Local().Format(time.TimeOnly), e.Kind, e.Message)
}

// requestRun asks the running control plane to run the pipeline for ref now.
func requestRun(cmd *cobra.Command, ref string) error {
	st, err := openState(cmd)
	if err != nil {
		return err
	}
	defer st.Close()
	cfg, err := serviceConfig(cmd, st)
	if err != nil {
		return err
	}
	f, err := submit(cmd, st, controlplane.Request{Op: controlplane.OpRun, Service: cfg.Service, Ref: ref}, true)
	if err != nil {
		return err
	}
	fmt.Fprintln(cmd.OutOrStdout(), f.Outcome)
	return nil
}

// deployerFor reads deployments of cfg's service from st (no side effects).
func deployerFor(st *store.Store, cfg *config.Config) *deploy.Deployer {
	return &deploy.Deployer{Config: cfg, Store: st}
}

// openPlane opens the control plane's state for reading and queueing rollout
// commands, refusing to create state where none is.
func openPlane(cmd *cobra.Command) (*controlplane.Plane, error) {
	st, err := openState(cmd)
	if err != nil {
		return nil, err
	}
	st.Close()
	data, err := dataDir(cmd)
	if err != nil {
		return nil, err
	}
	name, _ := cmd.Flags().GetString("service")
	return controlplane.Open(cmd.Context(), controlplane.Options{Data: data, Service: name, Out: cmd.OutOrStdout(), Notifier: console.New(cmd.OutOrStdout())})
}
