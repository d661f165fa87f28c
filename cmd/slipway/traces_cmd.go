package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slipway/slipway/internal/telemetry"
	"github.com/spf13/cobra"
)

func newTracesCmd() *cobra.Command {
	var f telemetry.Filter
	var since time.Duration
	cmd := &cobra.Command{
		Use:   "traces [--env ENV] [--version VERSION] [--errors] [--route ROUTE] [--since 1h]",
		Short: "List the requests instances traced, by version: time, route, status, duration and trace id",
		Long: `List the requests a service's instances traced, newest first, read from the traces
the control plane keeps (<data>/traces.db). Every instance Slipway starts sends its
OpenTelemetry traces there with its version and environment, so a failure is found
by the version that served it. 'slipway traces show TRACE_ID' prints one request's
spans as a tree.

A request is a server span (or a span without parent); it failed when its status is
an error or it answered 5xx. Works with or without a running control plane; with
telemetry.otlp-endpoint set in slipway.yaml the traces go to that collector and
Slipway keeps none.`,
		Example: `  slipway traces --env prod --version 1.12.0 --errors
  slipway traces --env prod --route "POST /v1/contracts/validate" --since 30m -o json
  slipway traces show 5b8efff798038103d269b633813fc60c`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			st, err := openTraces(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			if since > 0 {
				f.From = time.Now().Add(-since)
			}
			reqs, err := st.Requests(cmd.Context(), f)
			if err != nil {
				return fmt.Errorf("traces: %w", err)
			}
			if format == outputJSON {
				if reqs == nil {
					reqs = []telemetry.Span{}
				}
				return writeJSON(cmd.OutOrStdout(), map[string]any{"requests": reqs})
			}
			if len(reqs) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no request kept matches (slipway traces without filters lists the latest)")
				return nil
			}
			printRequests(cmd.OutOrStdout(), reqs)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Service, "service", "", "only this service's requests")
	fl.StringVar(&f.Env, "env", "", "only requests served in this environment")
	fl.StringVar(&f.Version, "version", "", "only requests served by this version")
	fl.StringVar(&f.Route, "route", "", `only this route ("POST /v1/contracts/validate") or path prefix ("/v1/contracts")`)
	fl.BoolVar(&f.Errors, "errors", false, "only failed requests (error status or 5xx)")
	fl.DurationVar(&since, "since", 0, "only requests that started within this long (30m, 2h); default: all kept")
	fl.IntVar(&f.Limit, "limit", 50, "at most this many requests, newest first")
	addOutputFlag(cmd)
	cmd.RegisterFlagCompletionFunc("env", completeEnvs)
	cmd.RegisterFlagCompletionFunc("version", completeVersions)
	cmd.RegisterFlagCompletionFunc("service", completeServices)
	cmd.AddCommand(newTracesShowCmd())
	return cmd
}

func newTracesShowCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show TRACE_ID",
		Short: "Print one request's spans as a tree, with their events and errors",
		Long: `Print the spans of one trace as a tree: each span's name, duration, status and
error, with its events (feature-flag evaluations, exceptions) beneath it. TRACE_ID
may be shortened to a unique prefix, as 'slipway traces' prints it.`,
		Example: `  slipway traces show 5b8efff798038103d269b633813fc60c
  slipway traces show 5b8efff7 -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			format, err := outputFormat(cmd)
			if err != nil {
				return err
			}
			st, err := openTraces(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			spans, err := st.Trace(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("traces show: %w", err)
			}
			if len(spans) == 0 {
				return fmt.Errorf("traces show: no trace %s is kept (slipway traces lists them; traces older than %s are dropped)", args[0], telemetry.DefaultMaxAge)
			}
			tree := telemetry.Tree(spans)
			if format == outputJSON {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"trace_id": spans[0].TraceID, "spans": tree})
			}
			printTrace(cmd.OutOrStdout(), spans[0], tree)
			return nil
		},
	}
	addOutputFlag(cmd)
	return cmd
}

// openTraces opens the state directory's trace database read-only.
func openTraces(cmd *cobra.Command) (*telemetry.Store, error) {
	dir, err := dataDir(cmd)
	if err != nil {
		return nil, err
	}
	st, err := telemetry.OpenReadOnly(cmd.Context(), filepath.Join(dir, telemetry.File))
	if errors.Is(err, telemetry.ErrNoTraces) {
		return nil, fmt.Errorf("traces: %w: instances send their traces to the control plane while 'slipway up' runs "+
			"(with telemetry.otlp-endpoint set they go to that collector instead); pass --data or SLIPWAY_DATA for another state directory", err)
	}
	return st, err
}

const traceTime = "2006-01-02 15:04:05.000"

func printRequests(w io.Writer, reqs []telemetry.Span) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tENV\tVERSION\tROUTE\tSTATUS\tDURATION\tTRACE ID\tERROR")
	for _, r := range reqs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Start.Local().Format(traceTime), orDash(r.Env), orDash(r.Version),
			orDash(r.Route), requestStatus(r), shortDuration(r.Duration()), r.TraceID, oneLine(r.Message))
	}
	tw.Flush()
}

func printTrace(w io.Writer, root telemetry.Span, tree []*telemetry.Node) {
	fmt.Fprintf(w, "trace %s: %s %s in %s, %s\n\n", root.TraceID, root.Service, orDash(root.Version), orDash(root.Env),
		root.Start.Local().Format(traceTime+" MST"))
	var walk func(n *telemetry.Node, indent string)
	walk = func(n *telemetry.Node, indent string) {
		line := fmt.Sprintf("%s%s  %s", indent, n.Name, shortDuration(n.Duration()))
		if n.Status != 0 {
			line += fmt.Sprintf("  %d", n.Status)
		}
		if n.Error {
			line += "  ERROR"
			if n.Message != "" {
				line += ": " + oneLine(n.Message)
			}
		}
		fmt.Fprintln(w, line)
		for _, e := range n.Events {
			fmt.Fprintf(w, "%s  · %s +%s%s\n", indent, e.Name, shortDuration(e.Time.Sub(n.Start)), eventAttrs(e))
		}
		for _, c := range n.Children {
			walk(c, indent+"  ")
		}
	}
	for _, n := range tree {
		walk(n, "")
	}
}

// eventAttrs shows an event's telling attributes: a flag's key and variant, an
// exception's type and message.
func eventAttrs(e telemetry.Event) string {
	var keys []string
	for k := range e.Attrs {
		if k == "exception.stacktrace" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%s", k, oneLine(e.Attrs[k]))
	}
	return b.String()
}

func requestStatus(s telemetry.Span) string {
	switch {
	case s.Status != 0:
		return fmt.Sprint(s.Status)
	case s.Error:
		return "error"
	}
	return "-"
}

// shortDuration prints 3.2ms, 850µs, 1.25s.
func shortDuration(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}

func oneLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	return s
}
