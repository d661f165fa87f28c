package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/runtime"
	"github.com/slipway/slipway/internal/store"
	"github.com/spf13/cobra"
)

func newLogsCmd() *cobra.Command {
	var o logsOptions
	cmd := &cobra.Command{
		Use:   "logs --env ENV | --version VERSION [--level error]",
		Short: "Print the output of an environment's instances: current, kept warm and candidate",
		Long: `Print what the instances of a service running in ENV wrote: the current version's,
the previous version's kept warm after a promotion, and a candidate's under rollout.
With several instances each line starts with [version instance].

--version alone (or a version no instance in ENV runs any more, rolled back or
replaced) prints the logs its instances left in the state directory, in every
environment or in ENV. --level keeps the lines at that level or above: JSON lines'
"level" (or "severity", "lvl"), logfmt's level=, a Go "panic:" line as error;
lines that state no level count as info.

Log records the instances exported over OTLP to the control plane (kept in
traces.db) are printed too, as slog text lines labelled [VERSION otlp], merged
with the files' lines by time: the time a line states (JSON "time", logfmt time=,
a leading timestamp), else that of the line before it.`,
		Example: `  slipway logs --env prod --tail 50
  slipway logs --env prod --version 1.12.1 --follow
  slipway logs --version 1.12.0 --level error`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.env == "" && o.version == "" {
				return errors.New("logs: which environment or version? pass --env ENV or --version VERSION (slipway status lists them)")
			}
			if o.levelName != "" {
				l, err := parseLevel(o.levelName)
				if err != nil {
					return err
				}
				o.level = &l
			}
			data, err := dataDir(cmd)
			if err != nil {
				return err
			}
			o.data = data
			st, err := openState(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			o.st, o.out, o.poll = st, cmd.OutOrStdout(), logPoll
			return o.run(cmd.Context())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.env, "env", "", "the environment (required)")
	fl.StringVar(&o.version, "version", "", "only instances of this version")
	fl.StringVar(&o.service, "service", "", "the service, when several share the state directory")
	fl.BoolVarP(&o.follow, "follow", "f", false, "keep printing new output until interrupted")
	fl.IntVar(&o.tail, "tail", -1, "print only the last N lines of each instance first (-1: all)")
	fl.StringVar(&o.levelName, "level", "", "only lines at this level or above: debug, info, warn or error")
	cmd.RegisterFlagCompletionFunc("env", completeEnvs)
	cmd.RegisterFlagCompletionFunc("version", completeVersions)
	cmd.RegisterFlagCompletionFunc("service", completeServices)
	return cmd
}

type logsOptions struct {
	env, version, service string
	follow                bool
	tail                  int
	levelName             string
	level                 *slog.Level // nil: every line
	data                  string      // the state directory

	st   *store.Store
	out  io.Writer
	poll time.Duration
}

// logSource is one instance's log file and how far it has been printed.
type logSource struct {
	label, path      string
	service, version string // whose instance wrote it; service "" when unknown
	offset           int64
	partial          []byte    // a last line still being written
	at               time.Time // the time the last line that stated one stated
}

func (o *logsOptions) run(ctx context.Context) error {
	otlp, err := o.openOTLP(ctx)
	if err != nil {
		return err
	}
	defer otlp.close()
	srcs, err := o.find(ctx)
	if err != nil && !otlp.has(ctx, o) {
		return err
	}
	var groups [][]logLine
	for _, s := range srcs {
		ls, err := o.first(s)
		if err != nil {
			return err
		}
		groups = append(groups, ls)
	}
	recs, err := otlp.poll(ctx, o, srcs)
	if err != nil {
		return err
	}
	groups = append(groups, recs)
	// Lines are labelled once they come from several instances or versions.
	prefix := func() bool { return len(srcs)+otlp.sources() > 1 }
	if !o.follow {
		for i, s := range srcs {
			groups[i] = append(groups[i], o.flush(s)...)
		}
		o.print(groups, prefix())
		return nil
	}
	o.print(groups, prefix())
	tick := time.NewTicker(o.poll)
	defer tick.Stop()
	for {
		groups = groups[:0]
		select {
		case <-ctx.Done():
			for _, s := range srcs {
				groups = append(groups, o.flush(s))
			}
			o.print(groups, prefix())
			return nil
		case <-tick.C:
		}
		// A rollout may have started or ended an instance since: follow what
		// the deployment record names now.
		if now, err := o.find(ctx); err == nil {
			srcs = mergeSources(srcs, now)
		}
		for _, s := range srcs {
			ls, err := o.copy(s)
			if err != nil {
				return err
			}
			groups = append(groups, ls)
		}
		recs, err := otlp.poll(ctx, o, srcs)
		if err != nil {
			return err
		}
		o.print(append(groups, recs), prefix())
	}
}

// sources lists the log files of the selected instances.
func (o *logsOptions) sources(ctx context.Context) ([]*logSource, error) {
	var deps []deploymentRecord
	err := listRecords(ctx, o.st, "deployment", func(id string, d deploymentRecord) {
		if d.Env == o.env && (o.service == "" || recordService(id) == o.service) {
			deps = append(deps, d)
		}
	})
	if err != nil {
		return nil, err
	}
	switch {
	case len(deps) == 0 && o.service != "":
		return nil, fmt.Errorf("logs: nothing of %s is deployed to %s (slipway status shows what runs where)", o.service, o.env)
	case len(deps) == 0:
		return nil, fmt.Errorf("logs: nothing is deployed to %s (slipway status shows what runs where)", o.env)
	case len(deps) > 1:
		var names []string
		for _, d := range deps {
			names = append(names, d.Service)
		}
		return nil, fmt.Errorf("logs: %s runs several services (%s): pass --service", o.env, strings.Join(names, ", "))
	}
	d := deps[0]
	type inst struct {
		version, role string
		in            runtime.Instance
	}
	var all []inst
	for _, in := range d.Instances {
		all = append(all, inst{d.Version, "", in})
	}
	if d.Warm != nil {
		for _, in := range d.Warm.Instances {
			all = append(all, inst{d.Warm.Version, "warm", in})
		}
	}
	if d.Pending != nil {
		for _, in := range d.Candidates {
			all = append(all, inst{d.Pending.Version, "candidate", in})
		}
	}
	var out []*logSource
	var versions []string
	for i, in := range all {
		versions = append(versions, in.version)
		if o.version != "" && in.version != o.version || in.in.Log == "" {
			continue
		}
		name := in.in.ID
		if name == "" && in.in.PID > 0 {
			name = fmt.Sprintf("pid %d", in.in.PID)
		} else if name == "" {
			name = fmt.Sprintf("#%d", i+1)
		}
		label := in.version + " " + name
		if in.role != "" {
			label += " " + in.role
		}
		out = append(out, &logSource{label: label, path: in.in.Log, service: d.Service, version: in.version})
	}
	if len(out) == 0 {
		what := "no instance"
		if o.version != "" {
			what = "no instance of " + o.version
		}
		return nil, fmt.Errorf("logs: %s in %s of %s has a log file (running there: %s)", what, o.env, d.Service, orNone(uniqStrings(versions)))
	}
	return out, nil
}

// mergeSources keeps the sources already followed and adds new ones.
func mergeSources(old, now []*logSource) []*logSource {
	for _, n := range now {
		found := false
		for _, s := range old {
			found = found || s.path == n.path
		}
		if !found {
			old = append(old, n)
		}
	}
	return old
}

// first reads the last o.tail lines of s (all with -1) and remembers where the
// file ended.
func (o *logsOptions) first(s *logSource) ([]logLine, error) {
	b, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // not written yet: following picks it up
	}
	if err != nil {
		return nil, fmt.Errorf("logs: %s: %w", s.label, err)
	}
	s.offset = int64(len(b))
	if o.tail >= 0 {
		b = lastLines(b, o.tail)
	}
	return o.lines(s, b), nil
}

// copy reads what was appended to s since the last look.
func (o *logsOptions) copy(s *logSource) ([]logLine, error) {
	f, err := os.Open(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("logs: %s: %w", s.label, err)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() < s.offset {
		s.offset = 0 // truncated or replaced: start over
	}
	if _, err := f.Seek(s.offset, io.SeekStart); err != nil {
		return nil, fmt.Errorf("logs: %s: %w", s.label, err)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("logs: %s: %w", s.label, err)
	}
	s.offset += int64(len(b))
	return o.lines(s, b), nil
}

// lines returns the complete lines of b at o.level or above, each with its
// time, keeping an unfinished last one for later.
func (o *logsOptions) lines(s *logSource, b []byte) []logLine {
	b = append(s.partial, b...)
	i := bytes.LastIndexByte(b, '\n')
	s.partial = append([]byte(nil), b[i+1:]...)
	if i < 0 {
		return nil
	}
	var out []logLine
	for line := range strings.Lines(string(b[:i+1])) {
		if at, ok := lineTime([]byte(line)); ok {
			s.at = at
		}
		if o.level != nil && lineLevel([]byte(line)) < *o.level {
			continue
		}
		out = append(out, logLine{at: s.at, label: s.label, text: line})
	}
	return out
}

// flush returns an unfinished last line.
func (o *logsOptions) flush(s *logSource) []logLine {
	if p := s.partial; len(p) > 0 {
		s.partial = nil
		return o.lines(s, append(p, '\n'))
	}
	return nil
}

// lastLines returns the last n lines of b.
func lastLines(b []byte, n int) []byte {
	if n == 0 {
		return nil
	}
	end := len(b)
	if end > 0 && b[end-1] == '\n' {
		end--
	}
	for i := end - 1; i >= 0; i-- {
		if b[i] == '\n' {
			n--
			if n == 0 {
				return b[i+1:]
			}
		}
	}
	return b
}

func uniqStrings(in []string) []string {
	var out []string
	for _, s := range in {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}
