package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/controlplane"
	"github.com/spf13/cobra"
)

func newDownCmd() *cobra.Command {
	var output string
	var grace time.Duration
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop what 'slipway up' started: the control plane, its routers and the service instances",
		Long: `Stop the control plane serving the state directory, then every router and
instance it recorded - each only when it is still the process that was
recorded, so nothing else is ever signalled. The state stays: the next
'slipway up' brings every environment back to the same version, on the same
addresses when they are free, and resumes unfinished rollouts.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			data, err := dataDir(cmd)
			if err != nil {
				return err
			}
			stopped, err := controlplane.Down(cmd.Context(), data, grace)
			out := cmd.OutOrStdout()
			if output == "json" {
				b, _ := json.MarshalIndent(stopped, "", "  ")
				fmt.Fprintln(out, string(b))
				return err
			}
			if stopped.ControlPlane != 0 {
				fmt.Fprintf(out, "control plane (pid %d) stopped\n", stopped.ControlPlane)
			} else {
				fmt.Fprintln(out, "no control plane was running")
			}
			fmt.Fprintf(out, "instances of %d services stopped; %d routers stopped%s\n", len(stopped.Services), len(stopped.Routers), list(stopped.Routers))
			return err
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	cmd.Flags().DurationVar(&grace, "grace", 20*time.Second, "how long the control plane may take to stop before it is killed")
	return cmd
}

func list(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return " (" + strings.Join(names, ", ") + ")"
}
