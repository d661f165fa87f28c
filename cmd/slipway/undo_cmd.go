package main

import (
	"fmt"

	"github.com/slipway/slipway/internal/controlplane"
	"github.com/spf13/cobra"
)

func newUndoCmd() *cobra.Command {
	var service, reason string
	cmd := &cobra.Command{
		Use:   "undo ENV",
		Short: "Late rollback: send ENV's traffic back to the version kept warm since the last promotion",
		Long: `Send all of ENV's traffic back to the previous version, kept running for the
rollout's keep-warm window after a promotion, so the switch is instant. The
undone version is kept warm in turn. The running control plane (slipway up)
carries it out; the journal records who asked and why.`,
		Example:           `  slipway undo prod --reason "checkout errors after 1.12.1"`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeEnvs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openState(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			cfg, err := serviceConfig(cmd, st)
			if err != nil {
				return err
			}
			if _, ok := cfg.Env(args[0]); !ok {
				return fmt.Errorf("undo in %s: no such environment in %s's slipway.yaml", args[0], cfg.Service)
			}
			f, err := submit(cmd, st, controlplane.Request{Op: controlplane.OpUndo, Service: cfg.Service, Env: args[0], Reason: reason}, true)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s in %s: %s\n", cfg.Service, args[0], f.Outcome)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the journal")
	cmd.Flags().StringVar(&service, "service", "", "the service, when several share the state directory")
	cmd.RegisterFlagCompletionFunc("service", completeServices)
	return cmd
}
