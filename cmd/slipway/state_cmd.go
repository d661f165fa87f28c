package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/slipway/slipway/internal/runtime"
	localrt "github.com/slipway/slipway/internal/runtime/local"
	"github.com/slipway/slipway/internal/store"
	"github.com/spf13/cobra"
)

// openState opens the store in the state directory, refusing to create one where
// none is.
func openState(cmd *cobra.Command) (*store.Store, error) {
	dir, err := dataDir(cmd)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "slipway.db")
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("no Slipway state in %s (start the control plane with 'slipway up' in your service's repository, or pass --data / SLIPWAY_DATA)", dir)
	}
	return store.Open(cmd.Context(), path)
}

func newHistoryCmd() *cobra.Command {
	var f store.Filter
	var kinds string
	cmd := &cobra.Command{
		Use:   "history",
		Short: "Show the event journal: every run, artifact, deploy, verdict, rollback and incident",
		Example: `  slipway history
  slipway history --env prod --kind 'rollout.*'
  slipway history --rollout ro-2 --limit 0`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			st, err := openState(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			if kinds != "" {
				f.Kinds = strings.Split(kinds, ",")
			}
			evs, err := st.Events(cmd.Context(), f)
			if err != nil {
				return err
			}
			if format == outputJSON {
				if evs == nil {
					evs = []store.Event{}
				}
				return writeJSON(cmd.OutOrStdout(), map[string]any{"events": evs})
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tKIND\tENV\tVERSION\tBY\tMESSAGE")
			for _, e := range evs {
				by := "-"
				if e.Actor != "" {
					by = e.Actor + " (" + e.Via + ")"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format("01-02 15:04:05.000"), e.Kind, dash(e.Env), dash(e.Version), by, e.Message)
			}
			return tw.Flush()
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Service, "service", "", "only this service")
	fl.StringVar(&f.Env, "env", "", "only this environment")
	fl.StringVar(&f.Rollout, "rollout", "", "only this rollout")
	fl.StringVar(&f.Incident, "incident", "", "only this incident")
	fl.StringVar(&kinds, "kind", "", "only these kinds, comma separated; 'rollout.*' matches a prefix")
	fl.IntVar(&f.Limit, "limit", 200, "newest events to show (0: all)")
	cmd.RegisterFlagCompletionFunc("service", completeServices)
	cmd.RegisterFlagCompletionFunc("env", completeEnvs)
	cmd.RegisterFlagCompletionFunc("rollout", completeRollouts)
	cmd.RegisterFlagCompletionFunc("incident", completeIncidents)
	addOutputFlag(cmd)
	return cmd
}

// localAlive says whether an instance still answers its health check, the way
// the local runtime checks its own instances.
func localAlive(ctx context.Context, in runtime.Instance) bool {
	return localrt.New().Alive(ctx, in)
}

func short(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
