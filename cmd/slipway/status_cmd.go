package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slipway/slipway/internal/controlplane"
	"github.com/spf13/cobra"
)

func newStatusCmd() *cobra.Command {
	var service string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show what runs where: versions, digests, URLs, instances, releases, rollouts and incidents",
		Long: `Show every service in the state directory: per environment (in promotion order)
the version and digest it runs, the URL its router answers at and whether every
instance answers its health check; the releases and whether each may go on to
the last environment; rollouts and incidents.`,
		Example: `  slipway status
  slipway status --service quote-api -o json`,
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
			view, err := collectStatus(cmd.Context(), st, service, localAlive)
			if err != nil {
				return err
			}
			if data, err := dataDir(cmd); err == nil {
				if in, ok := controlplane.Running(data); ok {
					view.ControlPlane = &controlPlaneStatus{PID: in.PID, Started: in.Started, LogFile: in.LogFile}
				}
			}
			if format == outputJSON {
				return writeJSON(cmd.OutOrStdout(), view)
			}
			if cp := view.ControlPlane; cp != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "control plane: running (pid %d, since %s)\n\n", cp.PID, cp.Started.Local().Format(time.DateTime))
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "control plane: not running ('slipway up' starts it; routers and instances may still serve)\n\n")
			}
			return printStatus(cmd.OutOrStdout(), view)
		},
	}
	cmd.Flags().StringVar(&service, "service", "", "only this service (when several share the state directory)")
	cmd.RegisterFlagCompletionFunc("service", completeServices)
	addOutputFlag(cmd)
	return cmd
}

// printStatus renders view as tables: environments, releases, rollouts, then a
// line about incidents.
func printStatus(out io.Writer, view statusView) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tENV\tVERSION\tDIGEST\tURL\tINSTANCES\tDEPLOYED\tWARM\tCANDIDATE")
	for _, s := range view.Services {
		for _, e := range s.Environments {
			if e.Version == "" {
				fmt.Fprintf(tw, "%s\t%s\t-\t-\t%s\t-\t-\t-\t-\n", s.Name, e.Name, dash(e.URL))
				continue
			}
			deployed := "-"
			if e.DeployedAt != nil {
				deployed = e.DeployedAt.Local().Format(time.DateTime)
			}
			warm, candidate := "-", "-"
			if w := e.Warm; w != nil && len(w.Instances) > 0 {
				warm = fmt.Sprintf("%s until %s (%s)", w.Version, w.Until.Local().Format(time.TimeOnly), upDown(w.Instances[0].Healthy))
			}
			if c := e.Candidate; c != nil {
				candidate = fmt.Sprintf("%s (rollout %s, %s)", c.Version, c.Rollout, upDown(c.Healthy))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, e.Name, e.Version, short(e.Digest, 19), dash(e.URL),
				instanceCell(e.Instances), deployed, warm, candidate)
		}
	}
	tw.Flush()

	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tRELEASE\tDIGEST\tCOMMIT\tCREATED\tRUNNING IN\tNEXT")
	for _, s := range view.Services {
		for _, r := range s.Releases {
			created := "-"
			if !r.Created.IsZero() {
				created = r.Created.Local().Format(time.DateTime)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Name, r.Version, short(r.Digest, 19), dash(short(r.Commit, 7)), created,
				dash(strings.Join(r.Running, ",")), releaseNext(r))
		}
	}
	tw.Flush()

	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLLOUT\tSERVICE\tENV\tFROM\tTO\tPROFILE\tPHASE\tWEIGHT\tLAST VERDICT")
	for _, s := range view.Services {
		for _, r := range s.Rollouts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d%%\t%s\n", r.ID, s.Name, r.Env, r.Stable, r.Candidate, dash(r.Profile), r.Phase, r.Weight, dash(r.Verdict))
		}
	}
	tw.Flush()

	total, open := 0, 0
	for _, s := range view.Services {
		for _, in := range s.Incidents {
			total++
			if in.Status.Active() {
				open++
			}
		}
	}
	_, err := fmt.Fprintf(out, "\n%d incidents, %d not resolved (slipway incidents)\n", total, open)
	return err
}

// instanceCell shows the first instance and how many more there are.
func instanceCell(ins []instanceStatus) string {
	if len(ins) == 0 {
		return "none running"
	}
	cell := fmt.Sprintf("%s (pid %d, %s)", ins[0].URL, ins[0].PID, upDown(ins[0].Healthy))
	if len(ins) > 1 {
		up := 0
		for _, in := range ins {
			if in.Healthy {
				up++
			}
		}
		cell += fmt.Sprintf(" +%d more, %d of %d up", len(ins)-1, up, len(ins))
	}
	return cell
}

// releaseNext says what a release waits for, with the command that moves it on.
func releaseNext(r releaseStatus) string {
	switch {
	case r.RollingOut != "":
		return "rolling out in " + r.RollingOut
	case r.WaitingFor != "":
		return fmt.Sprintf("waits for promotion to %s: slipway promote %s %s", r.WaitingFor, r.Version, r.WaitingFor)
	case r.Ready:
		return "ready"
	}
	return "-"
}

func upDown(healthy bool) string {
	if healthy {
		return "up"
	}
	return "down"
}
