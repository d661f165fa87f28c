package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/slipway/slipway/internal/controlplane"
	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/store"
	"github.com/spf13/cobra"
)

func newRolloutCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollout",
		Short: "Inspect and steer canary rollouts: status, pause, resume, promote, abort, run",
		Long: `Inspect and steer canary rollouts.

A rollout is a persisted state machine driven by the control plane. Commands
given here are queued and applied by the control plane at its next analysis pass,
so a person never races an automatic decision. 'slipway rollout run' is the
control plane itself: it resumes every unfinished rollout from the store, which
is how a killed or restarted Slipway carries on.`,
	}
	open := func(cmd *cobra.Command) (*controlplane.Plane, error) { return openPlane(cmd) }
	status := &cobra.Command{
		Use:               "status [ID]",
		Short:             "Show rollouts, or one with the evidence behind its last verdict",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeRollouts,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			// Reading needs no control plane: the store alone serves every
			// service sharing the state directory.
			st, err := openState(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			if len(args) == 1 {
				r := new(rollout.Rollout)
				if err := st.Get(cmd.Context(), "rollout", args[0], r); err != nil {
					if errors.Is(err, store.ErrNotFound) {
						return fmt.Errorf("no rollout %s (slipway rollout status lists them)", args[0])
					}
					return fmt.Errorf("rollout %s: %w", args[0], err)
				}
				if format == outputJSON {
					return writeJSON(cmd.OutOrStdout(), newRolloutDetail(r))
				}
				printRollout(cmd, r)
				return nil
			}
			if format == outputJSON {
				rows := []rolloutRow{}
				err := listRecords(cmd.Context(), st, "rollout", func(_ string, r rollout.Rollout) {
					rows = append(rows, rolloutRow{ID: r.ID, Service: r.Service, Env: r.Env, Stable: r.Stable.Version,
						Candidate: r.Candidate.Version, Profile: r.Profile, Phase: r.Phase, Weight: r.Weight, StartedAt: r.StartedAt})
				})
				if err != nil {
					return err
				}
				return writeJSON(cmd.OutOrStdout(), map[string]any{"rollouts": rows})
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ROLLOUT\tSERVICE\tENV\tFROM\tTO\tPROFILE\tPHASE\tWEIGHT\tSTARTED")
			err = st.List(cmd.Context(), "rollout", func(_ string, raw json.RawMessage) error {
				var r rollout.Rollout
				if err := json.Unmarshal(raw, &r); err != nil {
					return err
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d%%\t%s\n", r.ID, r.Service, r.Env, r.Stable.Version, r.Candidate.Version,
					r.Profile, r.Phase, r.Weight, r.StartedAt.Local().Format(time.DateTime))
				return nil
			})
			if err != nil {
				return err
			}
			return tw.Flush()
		},
	}
	addOutputFlag(status)
	cmd.AddCommand(status)
	for _, a := range []struct {
		action rollout.Action
		short  string
	}{
		{rollout.Pause, "Hold the current step: weights stay, analysis stops judging"},
		{rollout.Resume, "Resume a paused rollout: the step's bake restarts with a fresh baseline"},
		{rollout.Promote, "Send 100% of traffic to the candidate now"},
		{rollout.Abort, "Send 100% of traffic back to the stable version now"},
	} {
		var reason string
		c := &cobra.Command{
			Use:               string(a.action) + " ID",
			Short:             a.short,
			Args:              cobra.ExactArgs(1),
			ValidArgsFunction: completeActiveRollouts,
			RunE: func(cmd *cobra.Command, args []string) error {
				// A command is queued in the store: any service's rollout, no
				// control plane needed to ask.
				st, err := openState(cmd)
				if err != nil {
					return err
				}
				defer st.Close()
				ctx := store.WithActor(cmd.Context(), store.CurrentUser("cli"))
				if err := (&rollout.Controller{Store: st}).Request(ctx, args[0], a.action, reason); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s of %s queued: the control plane applies it at its next pass\n", a.action, args[0])
				return nil
			},
		}
		c.Flags().StringVar(&reason, "reason", "", "why, for the journal")
		cmd.AddCommand(c)
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "run",
		Short: "Resume every unfinished rollout once, without a control plane (slipway up does it itself)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if data, err := dataDir(cmd); err == nil {
				if in, ok := controlplane.Running(data); ok {
					return fmt.Errorf("rollout run: the control plane (pid %d) already drives every rollout of %s; it resumes them itself after a restart", in.PID, data)
				}
			}
			p, err := open(cmd)
			if err != nil {
				return err
			}
			defer p.Close()
			results, err := p.Deployer.Resume(cmd.Context())
			for _, r := range results {
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s in %s: %s\n", p.Config.Service, r.Version, r.Env, r.Outcome)
			}
			if err == nil && len(results) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no unfinished rollout")
			}
			return err
		},
	})
	return cmd
}

func printRollout(cmd *cobra.Command, r *rollout.Rollout) {
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "rollout %s: %s %s -> %s in %s (%s profile)\n", r.ID, r.Service, r.Stable.Version, r.Candidate.Version, r.Env, r.Profile)
	fmt.Fprintf(out, "phase:    %s at %d%% (step %d of %d: %v)\n", r.Phase, r.Weight, r.Step+1, len(r.Steps), r.Steps)
	fmt.Fprintf(out, "judged:   against %s\n", r.ComparedWith())
	fmt.Fprintf(out, "timing:   bake %s, interval %s, started %s", r.Bake, r.Interval, r.StartedAt.Local().Format(time.DateTime))
	if !r.FinishedAt.IsZero() {
		fmt.Fprintf(out, ", finished %s (%s)", r.FinishedAt.Local().Format(time.DateTime), r.FinishedAt.Sub(r.StartedAt).Round(time.Second))
	}
	fmt.Fprintln(out)
	if r.Reason != "" {
		fmt.Fprintf(out, "reason:   %s\n", r.Reason)
	}
	fmt.Fprintf(out, "verdict:  %s: %s\n", r.Last.Outcome, r.Last.Reason)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  CHECK\tVALUE\tMAX\tVS STABLE\tREQUESTS\tERRORS\tRESULT")
	for _, res := range r.Last.Results {
		max, vs := fmt.Sprintf("%.4g", res.Threshold), "-"
		for _, c := range r.Criteria.Checks {
			if c.Metric == res.Metric && c.NoMax {
				max = "-"
			}
		}
		if res.StableBound > 0 {
			vs = fmt.Sprintf("%.4g (stable %.4g)", res.StableBound, res.Stable)
		}
		fmt.Fprintf(tw, "  %s\t%.4g\t%s\t%s\t%.0f\t%.0f\t%s\n", res.Metric, res.Value, max, vs, res.Samples, res.Errors, res.Outcome)
	}
	tw.Flush()
	q := r.LastSeq
	fmt.Fprintf(out, "sequential: %s, e-value %.4g against %.4g (alpha %g) after %d observations; leading: %s\n",
		orDash(string(q.Outcome)), q.EValue, q.Threshold, q.Alpha, q.Observations, orDash(q.Leading))
	fmt.Fprintf(out, "            candidate %.0f requests, %.0f errors; stable %.0f requests, %.0f errors\n",
		q.Candidate.Requests, q.Candidate.Errors, q.Stable.Requests, q.Stable.Errors)
	for _, st := range q.Streams {
		fmt.Fprintf(out, "            %-10s e-value %.4g (weight %.2f), ratio %.3g, candidate %.0f vs stable %.0f\n",
			st.Name, st.EValue, st.Weight, st.Ratio, st.Candidate, st.Stable)
	}
	for _, rt := range rollout.FailingRoutes(r.Routes) {
		fmt.Fprintf(out, "route:    %s served %.0f errors in %.0f requests\n", rt.Route, rt.Errors, rt.Requests)
	}
	fmt.Fprintf(out, "evidence: minimum %d requests per step; the candidate served %.0f errors in finished steps\n", r.Criteria.MinRequests, r.CandidateErrors)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
