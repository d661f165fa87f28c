package main

import (
	"errors"
	"fmt"

	"github.com/slipway/slipway/internal/controlplane"
	"github.com/slipway/slipway/internal/delivery"
	"github.com/slipway/slipway/internal/store"
	"github.com/spf13/cobra"
)

func newPromoteCmd() *cobra.Command {
	var service, reason string
	var force, noWait bool
	cmd := &cobra.Command{
		Use:   "promote VERSION ENV",
		Short: "The single click: deploy a release to ENV once the environment before it runs it green",
		Long: `Deploy release VERSION to ENV - the click of an environment whose promotion is
manual. The same artifact (by digest) that passed the environment before ENV is
deployed; where ENV has a rollout strategy it goes out as a canary judged by
analysis, and a rollback opens an incident and drafts its post-mortem.

The running control plane (slipway up) carries the promotion out; this command
follows it and returns when the deployment or rollout has ended (exit status 1
when it was rolled back or failed). Ctrl-C stops following, not the rollout.

A version rolled back in ENV is quarantined there: promoting it again needs
--force with a --reason, both recorded in the journal with who asked. --force
also replaces all at once when the stable version no longer answers and a
canary cannot compare with it.`,
		Example: `  slipway promote 1.12.1 prod
  slipway promote 1.12.0 prod --force --reason "false alarm: the load test hit the canary"`,
		Args:              cobra.ExactArgs(2),
		ValidArgsFunction: completeVersionThenEnv,
		RunE: func(cmd *cobra.Command, args []string) error {
			version, env := args[0], args[1]
			st, err := openState(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx := cmd.Context()
			cfg, err := serviceConfig(cmd, st)
			if err != nil {
				return err
			}
			var rel delivery.Release
			if err := st.Get(ctx, "release", cfg.Service+"/"+version, &rel); err != nil {
				if errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("promote %s: no release %s of %s (releases are made from main; slipway status lists them)", version, version, cfg.Service)
				}
				return err
			}
			if rel.Config != nil {
				cfg = rel.Config
			}
			if err := controlplane.Gate(ctx, deployerFor(st, cfg), cfg, rel, env); err != nil {
				return err
			}
			if force && reason == "" {
				return fmt.Errorf("promote %s to %s: --force needs --reason: it is recorded in the journal with who asked", version, env)
			}
			f, err := submit(cmd, st, controlplane.Request{Op: controlplane.OpPromote, Service: cfg.Service, Version: version, Env: env,
				Force: force, Reason: reason}, !noWait)
			if err != nil {
				return err
			}
			if !noWait {
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s in %s: %s\n", cfg.Service, version, env, f.Outcome)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&service, "service", "", "the service, when several share the state directory")
	f.BoolVar(&force, "force", false, "promote a quarantined version, or replace a stable that no longer answers (needs --reason)")
	f.StringVar(&reason, "reason", "", "why, recorded in the journal")
	f.BoolVar(&noWait, "no-wait", false, "return once the control plane has the request")
	cmd.RegisterFlagCompletionFunc("service", completeServices)
	return cmd
}
