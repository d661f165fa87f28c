package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slipway/slipway/internal/controlplane"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/store"
	"github.com/spf13/cobra"
)

func newIncidentsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "incidents [ID]",
		Short: "List incidents, show one with its timeline, or update, resolve and close them",
		Long: `An incident opens when Slipway rolls a canary back (status mitigated: traffic is
already back on the stable version) or when an SLO alert fires about a deployed
version (status triage). It then goes

  triage -> investigating -> mitigated -> resolved -> closed

People move it with 'incidents update' (status, severity, commander, a message
for the timeline), 'incidents resolve' once the cause is fixed, and 'incidents
close' after the review. Promoting a later version to 100% of the incident's
environment resolves it by itself, recording that version as the fix.

Severity is critical, warning or info (sev1, sev2 and sev3 are accepted).
Response times are measured from the first evidence of failure (the first
reading that counted a failed request, or the alert's start): time to detect (to
the deciding verdict or the alert), to mitigate (to the rollback) and to resolve
(to the fix).

With notify.slack in slipway.yaml each incident gets a channel
(#incident-<service>-<yyyy-mm-dd>, then -2, -3 the same day) with a summary at
its top, updates threaded under it and a final message when it is resolved; with
notify.pagerduty a critical incident pages, and resolving it resolves the page.
When a control plane runs, changes go through it; otherwise they are written to
the state directory directly.`,
		Example: `  slipway incidents
  slipway incidents INC-1 -o json
  slipway incidents update INC-1 --status investigating -m "null expiry on legacy contracts"
  slipway incidents resolve INC-1 --fix-version 1.12.1 -m "null case handled"
  slipway incidents close INC-1 -m "review held, actions filed"`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeIncidents,
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
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
				if format == outputJSON {
					return writeJSON(out, viewOf(in))
				}
				printIncident(out, in)
				return nil
			}
			incs, err := m.List(cmd.Context())
			if err != nil {
				return err
			}
			if format == outputJSON {
				views := []incidentView{}
				for _, in := range incs {
					views = append(views, viewOf(in))
				}
				return writeJSON(out, map[string]any{"incidents": views})
			}
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSTATUS\tSEVERITY\tSERVICE\tENV\tAFFECTED\tSTABLE\tFIX\tOPENED\tTITLE")
			for _, in := range incs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", in.ID, in.Status, dash(in.Severity), in.Service, in.Env, in.AffectedVersion,
					dash(in.StableVersion), dash(in.FixVersion), in.OpenedAt.Local().Format(time.DateTime), in.Title)
			}
			return tw.Flush()
		},
	}
	addOutputFlag(cmd)
	cmd.AddCommand(newIncidentUpdateCmd(), newIncidentResolveCmd(), newIncidentCloseCmd())
	return cmd
}

// incidentView is an incident with its response times, for -o json.
type incidentView struct {
	incident.Incident
	Durations durations `json:"durations"`
}

// durations are in seconds; absent while not reached.
type durations struct {
	Detect   *float64 `json:"time_to_detect_s,omitempty"`
	Mitigate *float64 `json:"time_to_mitigate_s,omitempty"`
	Resolve  *float64 `json:"time_to_resolve_s,omitempty"`
}

func viewOf(in incident.Incident) incidentView {
	secs := func(f func() (time.Duration, bool)) *float64 {
		if d, ok := f(); ok {
			s := d.Seconds()
			return &s
		}
		return nil
	}
	return incidentView{Incident: in, Durations: durations{Detect: secs(in.TimeToDetect), Mitigate: secs(in.TimeToMitigate), Resolve: secs(in.TimeToResolve)}}
}

func printIncident(out io.Writer, in incident.Incident) {
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.Local().Format(time.DateTime)
	}
	fmt.Fprintf(out, "%s  %s\n", in.ID, in.Title)
	fmt.Fprintf(out, "status:     %s (severity %s)\n", in.Status, dash(in.Severity))
	fmt.Fprintf(out, "service:    %s in %s\n", in.Service, in.Env)
	fmt.Fprintf(out, "affected:   %s (stable %s), rollout %s, rollback executed: %v\n", in.AffectedVersion, dash(in.StableVersion), dash(in.Rollout), in.RollbackExecuted)
	if in.FixVersion != "" {
		fmt.Fprintf(out, "fixed by:   %s\n", in.FixVersion)
	}
	if in.Alert != "" {
		fmt.Fprintf(out, "alert:      %s\n", in.Alert)
	}
	fmt.Fprintf(out, "commander:  %s\n", dash(in.Commander))
	fmt.Fprintf(out, "channel:    %s\n", dash(in.Channel))
	fmt.Fprintf(out, "started:    %s  detected: %s  opened: %s\n", stamp(in.StartedAt), stamp(in.DetectedAt), stamp(in.OpenedAt))
	fmt.Fprintf(out, "mitigated:  %s  resolved: %s  closed: %s\n", stamp(in.MitigatedAt), stamp(in.ResolvedAt), stamp(in.ClosedAt))
	var times []string
	for _, d := range []struct {
		name string
		f    func() (time.Duration, bool)
	}{{"detect", in.TimeToDetect}, {"mitigate", in.TimeToMitigate}, {"resolve", in.TimeToResolve}} {
		if v, ok := d.f(); ok {
			times = append(times, fmt.Sprintf("to %s %s", d.name, incident.Round(v)))
		}
	}
	if len(times) > 0 {
		fmt.Fprintf(out, "times:      %s (from the first failure)\n", strings.Join(times, ", "))
	}
	for _, mt := range in.Metrics {
		fmt.Fprintf(out, "metric:     %s = %.4g (threshold %.4g) on %.0f requests, %.0f errors\n", mt.Name, mt.Value, mt.Threshold, mt.Samples, mt.Errors)
	}
	if in.Summary != "" {
		fmt.Fprintf(out, "summary:    %s\n", in.Summary)
	}
	if len(in.Updates) > 0 {
		fmt.Fprintln(out, "timeline:")
		for _, u := range in.Updates {
			status := ""
			if u.Status != "" {
				status = " [" + string(u.Status) + "]"
			}
			fmt.Fprintf(out, "  %s  %s%s: %s\n", u.At.Local().Format(time.DateTime), u.By, status, u.Text)
		}
	}
}

func newIncidentUpdateCmd() *cobra.Command {
	var ir controlplane.IncidentRequest
	cmd := &cobra.Command{
		Use:   "update ID",
		Short: "Add an update to an incident's timeline, moving its status, severity or commander",
		Long: `Add an update to the incident's timeline and post it in the incident's Slack
thread. --status moves it (triage, investigating, mitigated; resolving and
closing have their own commands); --severity sets critical, warning or info;
--commander names who leads the response (by default the first person to post
an update).`,
		Example: `  slipway incidents update INC-1 --status investigating -m "null expiry on legacy contracts"
  slipway incidents update INC-1 --severity warning --commander maria -m "impact limited to the canary"`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeIncidents,
		RunE: func(cmd *cobra.Command, args []string) error {
			ir.Action, ir.ID = controlplane.IncidentUpdate, args[0]
			return changeIncident(cmd, ir)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&ir.Message, "message", "m", "", "the update, for the timeline and the incident's thread")
	fl.StringVar(&ir.Status, "status", "", "move it to triage, investigating or mitigated")
	fl.StringVar(&ir.Severity, "severity", "", "critical, warning or info (sev1, sev2, sev3)")
	fl.StringVar(&ir.Commander, "commander", "", "who leads the response")
	cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions([]string{"triage", "investigating", "mitigated"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.RegisterFlagCompletionFunc("severity", cobra.FixedCompletions([]string{"critical", "warning", "info"}, cobra.ShellCompDirectiveNoFileComp))
	addOutputFlag(cmd)
	return cmd
}

func newIncidentResolveCmd() *cobra.Command {
	var ir controlplane.IncidentRequest
	cmd := &cobra.Command{
		Use:   "resolve ID",
		Short: "Mark an incident resolved: its cause is fixed",
		Long: `Mark the incident resolved, with the version that fixed it when there is one,
post the final message in its Slack thread and resolve its PagerDuty alert.
Promoting a later version to 100% of the incident's environment does this by
itself; use this command when the fix was something else (a configuration, a
dependency) or to add a note.`,
		Example: `  slipway incidents resolve INC-1 --fix-version 1.12.1 -m "null case handled"
  slipway incidents resolve INC-2 -m "upstream outage ended"`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeIncidents,
		RunE: func(cmd *cobra.Command, args []string) error {
			ir.Action, ir.ID = controlplane.IncidentResolve, args[0]
			return changeIncident(cmd, ir)
		},
	}
	cmd.Flags().StringVarP(&ir.Message, "message", "m", "", "what fixed it")
	cmd.Flags().StringVar(&ir.FixVersion, "fix-version", "", "the version that fixed it")
	addOutputFlag(cmd)
	return cmd
}

func newIncidentCloseCmd() *cobra.Command {
	var ir controlplane.IncidentRequest
	cmd := &cobra.Command{
		Use:               "close ID",
		Short:             "Close a resolved incident once its review is done",
		Example:           `  slipway incidents close INC-1 -m "review held, actions filed"`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeIncidents,
		RunE: func(cmd *cobra.Command, args []string) error {
			ir.Action, ir.ID = controlplane.IncidentClose, args[0]
			return changeIncident(cmd, ir)
		},
	}
	cmd.Flags().StringVarP(&ir.Message, "message", "m", "", "a closing note")
	addOutputFlag(cmd)
	return cmd
}

// changeIncident applies ir through the running control plane, or directly on
// the state directory when none runs, then prints the incident as it stands.
func changeIncident(cmd *cobra.Command, ir controlplane.IncidentRequest) error {
	format, err := outputFormat(cmd)
	if err != nil {
		return err
	}
	st, err := openState(cmd)
	if err != nil {
		return err
	}
	defer st.Close()
	m := &incident.Manager{Store: st}
	inc, err := m.Get(cmd.Context(), ir.ID)
	if errors.Is(err, incident.ErrNotFound) {
		return fmt.Errorf("%s %s: no such incident (slipway incidents lists them)", ir.Action, ir.ID)
	}
	if err != nil {
		return err
	}
	data, err := dataDir(cmd)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	var warn error
	if _, running := controlplane.Running(data); running {
		f, err := submit(cmd, st, controlplane.Request{Op: controlplane.OpIncident, Service: inc.Service, Env: inc.Env, Incident: &ir}, true)
		if err != nil {
			return err
		}
		if strings.Contains(f.Outcome, "telling people failed") {
			warn = errors.New(f.Outcome)
		}
	} else {
		warn, err = applyDirect(cmd.Context(), cmd.ErrOrStderr(), st, m, inc.Service, ir)
		if err != nil {
			return err
		}
	}
	inc, err = m.Get(cmd.Context(), ir.ID)
	if err != nil {
		return err
	}
	if warn != nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "warning: %s is recorded, but %v\n", inc.ID, warn)
	}
	if format == outputJSON {
		return writeJSON(out, viewOf(inc))
	}
	fmt.Fprintf(out, "%s is %s", inc.ID, inc.Status)
	if inc.FixVersion != "" && inc.Status == incident.Resolved {
		fmt.Fprintf(out, ", fixed by %s", inc.FixVersion)
	}
	fmt.Fprintln(out)
	return nil
}

// applyDirect writes the change to the store itself, with Slack and PagerDuty as
// the service's configuration names them (their secrets from this shell).
func applyDirect(ctx context.Context, errOut io.Writer, st *store.Store, m *incident.Manager, service string, ir controlplane.IncidentRequest) (warn, err error) {
	cfg, cerr := controlplane.StoredConfig(ctx, st, service)
	if cerr == nil {
		if err := controlplane.ConfigureIncidents(m, cfg, errOut); err != nil {
			return nil, err
		}
	}
	ctx = store.WithActor(ctx, store.CurrentUser("cli"))
	inc, err := controlplane.ApplyIncident(ctx, m, ir)
	if err != nil && inc.ID == "" {
		return nil, err
	}
	return err, nil
}
