package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/slo"
)

func newSLOCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "slo",
		Short: "Service level objectives: burn-rate alerts, their Prometheus rules and their state",
		Long: `Service level objectives, declared in slipway.yaml:

  slo:
    - name: availability
      objective: 99.9%          # share of requests that are not server errors
      window: 30d
      min-requests: 100         # each alert window needs this much traffic to fire
    - name: latency
      objective: 99%
      latency: {threshold: 250ms}

Each objective becomes three multi-window burn-rate alerts (the SRE workbook's):
a page when 1h and 5m both burn the error budget 14.4 times too fast, a page at
6x over 6h and 30m, a ticket at 1x over 3d and 6h. On the embedded default the
control plane evaluates them itself, per environment and per version, from the
router's counts; 'slipway slo rules' writes the same alerts for Prometheus, and
Alertmanager posts what fires to the control plane's API at
/api/v1/alertmanager. Either way, an alert during a rollout aborts it; otherwise
an incident opens naming the version deployed last before the alert started.`,
	}
	cmd.AddCommand(newSLORulesCmd(), newSLOStatusCmd())
	return cmd
}

func newSLORulesCmd() *cobra.Command {
	var file, env, output string
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Write the objectives' burn-rate alerts as a Prometheus rule file",
		Long: `Write the objectives of slipway.yaml as a Prometheus rule file: recording rules
for the bad-request ratio and the traffic of every version over 5m, 30m, 1h, 6h
and 3d, and one SlipwaySLOBurnRate alert per tier, labelled service, env,
version, slo, tier and severity (page or ticket). They read the series each
router exports (slipway_router_requests_total,
slipway_router_request_duration_seconds).

  slipway slo rules --env prod > slipway-slo.rules.yaml
  promtool check rules slipway-slo.rules.yaml

Point Alertmanager's webhook at the control plane (slipway status shows its API):

  receivers:
    - name: slipway
      webhook_configs:
        - url: http://127.0.0.1:7480/api/v1/alertmanager`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := config.Load(file)
			if err != nil {
				return err
			}
			if env != "" {
				if _, ok := c.Env(env); !ok {
					return fmt.Errorf("slo rules: no environment %q in %s", env, file)
				}
			}
			objs, err := slo.Objectives(c)
			if err != nil {
				return err
			}
			if len(objs) == 0 {
				return fmt.Errorf("slo rules: %s declares no objective: add an slo section (slipway slo --help shows one)", file)
			}
			rules := slo.Rules(c.Service, env, objs)
			switch output {
			case "yaml", "":
				b, err := rules.YAML()
				if err != nil {
					return err
				}
				_, err = cmd.OutOrStdout().Write(b)
				return err
			case outputJSON:
				return writeJSON(cmd.OutOrStdout(), rules)
			}
			return fmt.Errorf("slo rules: unknown output format %q for -o (use -o yaml or -o json)", output)
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "slipway.yaml", "the slipway.yaml to read")
	cmd.Flags().StringVar(&env, "env", "", "only this environment (default: every environment, by the env label)")
	cmd.Flags().StringVarP(&output, outputFlag, "o", "yaml", "output format: yaml (a rule file) or json")
	return cmd
}

func newSLOStatusCmd() *cobra.Command {
	var env, service string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each version's burn rates per window and which alerts fire",
		Long: `Show, for every version that served in the last three days, each objective's
burn rate over every alert window (the bad-request ratio divided by the error
budget: at 1 the budget lasts exactly the objective's window), the traffic behind
it, and whether each tier fires. The control plane records the router's counts
per minute; this command only reads them.`,
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
			c, err := serviceConfig(cmd, st)
			if err != nil {
				return err
			}
			objs, err := slo.Objectives(c)
			if err != nil {
				return err
			}
			data, err := dataDir(cmd)
			if err != nil {
				return err
			}
			samples, err := slo.OpenSamples(cmd.Context(), filepath.Join(data, "slo.db"))
			if err != nil {
				return err
			}
			defer samples.Close()
			now := time.Now()
			all, err := samples.Statuses(cmd.Context(), c.Service, objs, now)
			if err != nil {
				return err
			}
			rows := []sloRow{}
			for _, s := range all {
				if env != "" && s.Env != env {
					continue
				}
				for _, t := range s.Tiers {
					r := sloRow{Service: s.Service, Env: s.Env, Version: s.Version, SLO: s.Objective.Name, Objective: s.Objective.Target, TierState: t}
					if since := slo.FiringSince(cmd.Context(), st, s.Key, s.Objective.Name, t.Tier); t.Firing && !since.IsZero() {
						r.Since = since
					}
					rows = append(rows, r)
				}
			}
			if format == outputJSON {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"service": c.Service, "at": now.UTC(), "objectives": objs, "alerts": rows})
			}
			if len(objs) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "%s declares no objective: add an slo section to slipway.yaml (slipway slo --help shows one)\n", c.Service)
				return nil
			}
			if len(rows) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "no traffic recorded for %s in the last three days: the control plane records it while it runs (slipway up)\n", c.Service)
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ENV\tVERSION\tSLO\tTIER\tRATE\tLONG\tSHORT\tREQUESTS\tSTATE")
			for _, r := range rows {
				state := "ok"
				switch {
				case r.Firing:
					state = "FIRING"
					if !r.Since.IsZero() {
						state += " since " + r.Since.Local().Format(time.TimeOnly)
					}
				case strings.HasPrefix(r.Why, "too little traffic"):
					state = fmt.Sprintf("too little traffic (%d needed)", minRequests(objs, r.SLO))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%.3gx\t%.2fx %s\t%.2fx %s\t%.0f / %.0f\t%s\n", r.Env, r.Version, r.SLO, r.Tier, r.Rate,
					r.Long.Burn, r.Long.Name, r.Short.Burn, r.Short.Name, r.Long.Requests, r.Short.Requests, state)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&env, "env", "", "only this environment")
	cmd.Flags().StringVar(&service, "service", "", "the service, when several share the state directory")
	cmd.RegisterFlagCompletionFunc("service", completeServices)
	addOutputFlag(cmd)
	return cmd
}

// sloRow is one tier of one objective for one version.
type sloRow struct {
	Service   string  `json:"service"`
	Env       string  `json:"env"`
	Version   string  `json:"version"`
	SLO       string  `json:"slo"`
	Objective float64 `json:"objective"`
	slo.TierState
	Since time.Time `json:"since,omitzero"`
}

func minRequests(objs []slo.Objective, name string) int {
	for _, o := range objs {
		if o.Name == name {
			return o.MinRequests
		}
	}
	return 0
}
