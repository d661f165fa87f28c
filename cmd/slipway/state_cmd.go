package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/rollout"
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

func newStatusCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show what runs where: versions, digests, instances, rollouts and open incidents",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := openState(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			ctx, out := cmd.Context(), cmd.OutOrStdout()
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "SERVICE\tENV\tVERSION\tDIGEST\tINSTANCE\tDEPLOYED\tWARM\tCANDIDATE")
			err = st.List(ctx, "deployment", func(_ string, raw json.RawMessage) error {
				var d deploy.Deployment
				if err := json.Unmarshal(raw, &d); err != nil {
					return err
				}
				inst, warm := "-", "-"
				if len(d.Instances) > 0 {
					inst = fmt.Sprintf("%s (pid %d, %s)", d.Instances[0].URL, d.Instances[0].PID, liveness(ctx, d.Instances[0]))
				}
				if d.Warm != nil && len(d.Warm.Instances) > 0 {
					warm = fmt.Sprintf("%s until %s (%s)", d.Warm.Version, d.Warm.WarmUntil.Local().Format(time.TimeOnly), liveness(ctx, d.Warm.Instances[0]))
				}
				candidate := "-"
				if d.Pending != nil {
					candidate = fmt.Sprintf("%s (rollout %s, %s)", d.Pending.Version, d.Pending.Rollout, liveness(ctx, d.Pending.Instance))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Service, d.Env, d.Version, short(d.Digest, 19), inst,
					d.DeployedAt.Local().Format(time.DateTime), warm, candidate)
				return nil
			})
			if err != nil {
				return err
			}
			tw.Flush()
			fmt.Fprintln(out)
			tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ROLLOUT\tENV\tFROM\tTO\tPROFILE\tPHASE\tWEIGHT\tLAST VERDICT")
			err = st.List(ctx, "rollout", func(_ string, raw json.RawMessage) error {
				var r rollout.Rollout
				if err := json.Unmarshal(raw, &r); err != nil {
					return err
				}
				verdict := r.Reason
				if verdict == "" {
					verdict = string(r.Last.Outcome) + ": " + r.Last.Reason
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d%%\t%s\n", r.ID, r.Env, r.Stable.Version, r.Candidate.Version, r.Profile, r.Phase, r.Weight, verdict)
				return nil
			})
			if err != nil {
				return err
			}
			tw.Flush()
			incs, err := (&incident.Manager{Store: st}).List(ctx)
			if err != nil {
				return err
			}
			open := 0
			for _, in := range incs {
				if !in.Status.Terminal() {
					open++
				}
			}
			fmt.Fprintf(out, "\n%d incidents, %d not resolved (slipway incidents)\n", len(incs), open)
			return nil
		},
	}
	return cmd
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
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "TIME\tKIND\tENV\tVERSION\tMESSAGE")
			for _, e := range evs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Time.Local().Format("01-02 15:04:05.000"), e.Kind, dash(e.Env), dash(e.Version), e.Message)
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
	return cmd
}

func newIncidentsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "incidents [ID]",
		Short: "List incidents, or show one with its impacted metrics",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openState(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			m := &incident.Manager{Store: st}
			out := cmd.OutOrStdout()
			if len(args) == 1 {
				in, err := m.Get(cmd.Context(), args[0])
				if errors.Is(err, incident.ErrNotFound) {
					return fmt.Errorf("no incident %s (slipway incidents lists them)", args[0])
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "%s  %s\nstatus:    %s (severity %s)\nservice:   %s in %s\nopened:    %s\nstabilized: %s\naffected:  %s (stable %s), rollout %s, rollback executed: %v\nchannel:   %s\n",
					in.ID, in.Title, in.Status, in.Severity, in.Service, in.Env, in.OpenedAt.Local().Format(time.DateTime),
					in.StabilizedAt.Local().Format(time.DateTime), in.AffectedVersion, in.StableVersion, in.Rollout, in.RollbackExecuted, in.Channel)
				for _, mt := range in.Metrics {
					fmt.Fprintf(out, "metric:    %s = %.4g (threshold %.4g) on %.0f requests, %.0f errors\n", mt.Name, mt.Value, mt.Threshold, mt.Samples, mt.Errors)
				}
				if in.Summary != "" {
					fmt.Fprintf(out, "summary:   %s\n", in.Summary)
				}
				return nil
			}
			incs, err := m.List(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATUS\tSERVICE\tENV\tAFFECTED\tSTABLE\tOPENED\tTITLE")
			for _, in := range incs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", in.ID, in.Status, in.Service, in.Env, in.AffectedVersion, in.StableVersion,
					in.OpenedAt.Local().Format(time.DateTime), in.Title)
			}
			return tw.Flush()
		},
	}
	return cmd
}

// liveness says whether an instance still answers its health check.
func liveness(ctx context.Context, in runtime.Instance) string {
	if localrt.New().Alive(ctx, in) {
		return "up"
	}
	return "down"
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
