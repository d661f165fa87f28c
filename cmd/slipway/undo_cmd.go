package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newUndoCmd() *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "undo ENV",
		Short: "Late rollback: send ENV's traffic back to the version kept warm since the last promotion",
		Long: `Send all of ENV's traffic back to the previous version, kept running for the
rollout's keep-warm window after a promotion, so the switch is instant. The
undone version is kept warm in turn.`,
		Example: `  slipway undo prod --reason "checkout errors after 1.12.1"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := openPlane(cmd)
			if err != nil {
				return err
			}
			defer p.Close()
			dep, err := p.Deployer.Undo(cmd.Context(), args[0], reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s in %s: 100%% on %s\n", dep.Service, dep.Env, dep.Version)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the journal")
	return cmd
}
