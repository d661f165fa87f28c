package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slipway/slipway/internal/dora"
	"github.com/spf13/cobra"
)

func newDoraCmd() *cobra.Command {
	var o dora.Options
	var since string
	cmd := &cobra.Command{
		Use:   "dora",
		Short: "Show the four DORA measures per service and environment, computed from the journal",
		Long: `Show how the team delivers, per service and environment, over a window
(--since, 30 days by default). Slipway wrote every event these figures come
from, so they are counted, not estimated:

  DEPLOYS          deploys that reached 100% of the environment, "of" every
                   finished attempt (those rolled back or aborted included).
  FREQUENCY        successful deploys per day, or per week when fewer than one
                   a day.
  LEAD TIME        from a commit's time to the first successful deploy of a
                   version containing it: median and 90th percentile over the
                   commits deployed in the window. A commit of a rolled back
                   release counts when the next version that succeeds ships it.
  CHANGE FAILURE   attempts that failed over all attempts: rolled back by a
                   rollout, aborted by a person, or named by an incident after
                   reaching 100%. The failed versions are listed.
  TIME TO RESTORE  from an incident's first evidence of failure (the first
                   reading that counted an error, or the alert's start) to traffic
                   back on a good version: median over the incidents opened in
                   the window.
  TIME TO RESOLVE  from the same start to the fix: a fix version promoted, or a
                   person resolving the incident.

A dash means nothing happened to measure.`,
		Example: `  slipway dora
  slipway dora --since 7d --env prod
  slipway dora --service contract-api --since 2026-11-01 -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			now := time.Now().UTC()
			if o.Since, err = parseSince(since, now); err != nil {
				return err
			}
			o.Until = now
			st, err := openState(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			r, err := dora.Measure(cmd.Context(), st, o)
			if err != nil {
				return err
			}
			if format == outputJSON {
				return writeJSON(cmd.OutOrStdout(), r)
			}
			return printDora(cmd.OutOrStdout(), r)
		},
	}
	f := cmd.Flags()
	f.StringVar(&since, "since", "30d", "window start: a span back from now (30d, 2w, 12h) or a date (2026-11-01)")
	f.StringVar(&o.Service, "service", "", "only this service")
	f.StringVar(&o.Env, "env", "", "only this environment (prod for the classic DORA figures)")
	cmd.RegisterFlagCompletionFunc("service", completeServices)
	cmd.RegisterFlagCompletionFunc("env", completeEnvs)
	addOutputFlag(cmd)
	return cmd
}

// parseSince reads --since: "30d", "2w", a Go duration, or a date.
func parseSince(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	bad := fmt.Errorf("--since %q: give a span back from now (30d, 2w, 12h, 90m) or a date (2026-11-01)", s)
	if s == "" {
		return time.Time{}, bad
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	unit := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
	if unit > 0 {
		n, err := strconv.ParseFloat(s[:len(s)-1], 64)
		if err != nil || n <= 0 {
			return time.Time{}, bad
		}
		return now.Add(-time.Duration(n * float64(unit))), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return time.Time{}, bad
	}
	return now.Add(-d), nil
}

func printDora(out io.Writer, r dora.Report) error {
	fmt.Fprintf(out, "DORA measures from %s to %s (%s)\n\n", r.Since.UTC().Format("2006-01-02 15:04"), r.Until.UTC().Format("2006-01-02 15:04 UTC"), days(r.Until.Sub(r.Since)))
	if len(r.Figures) == 0 {
		fmt.Fprintln(out, "No deploys or incidents in this window.")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SERVICE\tENV\tDEPLOYS\tFREQUENCY\tLEAD TIME (median / p90, commits)\tCHANGE FAILURE\tTIME TO RESTORE (median, incidents)\tTIME TO RESOLVE")
	for _, f := range r.Figures {
		freq := "-"
		switch {
		case f.Deployments == 0:
		case f.PerDay >= 1:
			freq = fmt.Sprintf("%.1f/day", f.PerDay)
		default:
			freq = fmt.Sprintf("%.1f/week", f.PerWeek)
		}
		lead := "-"
		if f.LeadTime.N > 0 {
			lead = fmt.Sprintf("%s / %s (%d)", humanSpan(f.LeadTime.Median), humanSpan(f.LeadTime.P90), f.LeadTime.N)
		}
		failure := "-"
		if f.Attempts > 0 {
			failure = fmt.Sprintf("%.0f%% (%d of %d)", f.ChangeFailureRate*100, f.Failed, f.Attempts)
			if len(f.FailedVersions) > 0 {
				failure += ": " + strings.Join(f.FailedVersions, ", ")
			}
		}
		restore, resolve := "-", "-"
		if f.TimeToRestore.N > 0 {
			restore = fmt.Sprintf("%s (%d)", humanSpan(f.TimeToRestore.Median), f.TimeToRestore.N)
		}
		if f.TimeToResolve.N > 0 {
			resolve = humanSpan(f.TimeToResolve.Median)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d of %d\t%s\t%s\t%s\t%s\t%s\n", f.Service, f.Env, f.Deployments, f.Attempts, freq, lead, failure, restore, resolve)
	}
	return tw.Flush()
}

// humanSpan reads a duration the way people say it: 2.9s, 3m10s, 2h05m, 3d4h.
func humanSpan(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	case d < time.Hour:
		d = d.Round(time.Second)
		return fmt.Sprintf("%dm%02ds", int(d/time.Minute), int(d%time.Minute/time.Second))
	case d < 48*time.Hour:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
	}
	d = d.Round(time.Hour)
	return fmt.Sprintf("%dd%dh", int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour))
}

// days reads a window's length: "30 days", "1.5 days", "12h00m".
func days(d time.Duration) string {
	n := math.Round(d.Hours()/24*10) / 10
	switch {
	case d < 24*time.Hour:
		return humanSpan(d)
	case n == 1:
		return "1 day"
	}
	return strconv.FormatFloat(n, 'f', -1, 64) + " days"
}
