// Package main (command slipway) carries a change from git push to production traffic and back out
// again when production disagrees. Run `slipway --help` for the commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "slipway:", err)
		os.Exit(1)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "slipway",
		Short: "Ship every day: pipelines, signed artifacts, canary rollouts, automatic rollback",
		Long: `Slipway takes a change from git push through pipelines to an immutable, signed
artifact, deploys it through dev and staging, and rolls it out to production as a
canary judged by live metrics - rolling back on its own when users get hurt, then
opening the incident and drafting the post-mortem.

Start with the story demo:  slipway demo
On your own service:        slipway init, commit, then slipway up`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	addDataFlag(root)
	root.AddCommand(commands()...)
	return root
}

// commands lists every subcommand; each lives in its own file.
func commands() []*cobra.Command {
	return []*cobra.Command{
		newInitCmd(),
		newDemoCmd(),
		newUpCmd(),
		newDownCmd(),
		newStatusCmd(),
		newHistoryCmd(),
		newIncidentsCmd(),
		newDoraCmd(),
		newPromoteCmd(),
		newRolloutCmd(),
		newUndoCmd(),
		newRouterCmd(),
		newCheckCmd(),
		newConfigCmd(),
		newRunsCmd(),
		newRunCmd(),
		newLogsCmd(),
		newTracesCmd(),
		newVersionCmd(),
		newVerifyCmd(),
		newSLOCmd(),
	}
}
