package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func newRunsCmd() *cobra.Command {
	var f runFilter
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "List pipeline runs, newest first: kind, branch, commit, status, duration, failed steps",
		Example: `  slipway runs
  slipway runs --branch main --limit 5
  slipway runs --service quote-api -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			if f.Limit < 0 {
				return fmt.Errorf("runs: --limit %d is negative (give a count, or 0 for every run)", f.Limit)
			}
			st, err := openState(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			runs, err := listRuns(cmd.Context(), st, f)
			if err != nil {
				return err
			}
			if format == outputJSON {
				if runs == nil {
					runs = []runSummary{}
				}
				return writeJSON(cmd.OutOrStdout(), map[string]any{"runs": runs})
			}
			return printRuns(cmd.OutOrStdout(), runs, time.Now())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Service, "service", "", "only this service's runs")
	fl.StringVar(&f.Branch, "branch", "", "only runs of this branch")
	fl.IntVar(&f.Limit, "limit", 20, "newest runs to show (0: all)")
	cmd.RegisterFlagCompletionFunc("service", completeServices)
	addOutputFlag(cmd)
	return cmd
}

func printRuns(out io.Writer, runs []runSummary, now time.Time) error {
	if len(runs) == 0 {
		_, err := fmt.Fprintln(out, "no pipeline runs yet (a push, or slipway run REF, starts one)")
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "RUN\tSERVICE\tKIND\tBRANCH\tCOMMIT\tSTATUS\tSTARTED\tDURATION\tFAILED")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, dash(r.Service), dash(r.Kind), dash(r.Branch), dash(short(r.Commit, 7)),
			r.Status, r.Started.Local().Format(time.DateTime), r.Duration(now).Round(100*time.Millisecond), dash(strings.Join(r.Failed, ",")))
	}
	return tw.Flush()
}

func newRunCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run REF",
		Short: "Run the pipeline for REF now; 'slipway run logs ID' prints a run's step output",
		Long: `Ask the running control plane (slipway up) to run the pipeline for REF - a
branch, tag or commit - now, and follow it to its end. 'slipway run logs ID'
prints the step output of a run; 'slipway runs' lists them.`,
		Example: `  slipway run main
  slipway run logs run-3f2a1bc-main-9e1d04aa --follow`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return requestRun(cmd, args[0])
		},
	}
	cmd.Flags().String("service", "", "the service to run, when several share the state directory")
	cmd.RegisterFlagCompletionFunc("service", completeServices)
	cmd.AddCommand(newRunLogsCmd())
	return cmd
}
