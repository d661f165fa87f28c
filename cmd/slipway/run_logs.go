package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/pipeline"
	"github.com/slipway/slipway/internal/store"
	"github.com/spf13/cobra"
)

// logPoll is how often `run logs --follow` and `logs --follow` look for new output.
const logPoll = 300 * time.Millisecond

func newRunLogsCmd() *cobra.Command {
	var follow bool
	cmd := &cobra.Command{
		Use:   "logs ID",
		Short: "Print a pipeline run's step output, step by step in plan order",
		Long: `Print the output of every step of a pipeline run, each under a header, in the
order the pipeline plans them. With --follow, keep printing new output until the
run finishes. ID may be any unique prefix of a run id (slipway runs lists them).`,
		Example: `  slipway run logs run-3f2a1bc-main-9e1d04aa
  slipway run logs run-3f2a1bc --follow`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeRuns,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := openState(cmd)
			if err != nil {
				return err
			}
			defer st.Close()
			data, err := dataDir(cmd)
			if err != nil {
				return err
			}
			run, err := findRun(cmd.Context(), st, args[0])
			if err != nil {
				return err
			}
			t := &runTail{st: st, run: run, logDir: filepath.Join(data, "logs", run.ID), out: cmd.OutOrStdout(), poll: logPoll}
			t.plan(cmd.Context())
			return t.print(cmd.Context(), follow)
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new output until the run finishes")
	return cmd
}

// runTail prints one run's step logs. Steps are printed one after the other:
// a step's output is streamed until its step.finished event, then the next
// step's output (already written, if it ran in parallel) follows.
type runTail struct {
	st     *store.Store
	run    runSummary
	logDir string
	out    io.Writer
	poll   time.Duration

	steps  []*stepTail
	byName map[string]*stepTail
	// lastID is the newest journal event read; ended is set by run.finished or
	// run.canceled.
	lastID int64
	ended  bool
	cur    int
}

type stepTail struct {
	name, path string
	// end is the step.finished event's message once the step has finished.
	end      string
	finished bool
	headed   bool
	offset   int64
	last     byte // the last byte printed, to end a log without a newline
}

// lastByte is a writer that remembers the last byte written.
type lastByte struct {
	w    io.Writer
	last *byte
}

func (l lastByte) Write(p []byte) (int, error) {
	if len(p) > 0 {
		*l.last = p[len(p)-1]
	}
	return l.w.Write(p)
}

// plan lists the steps in the order the service's pipeline plans them, when its
// config is in the store; steps found later (events, log files) are appended.
func (t *runTail) plan(ctx context.Context) {
	t.byName = map[string]*stepTail{}
	var cfg config.Config
	if t.st.Get(ctx, "service", t.run.Service, &cfg) != nil {
		return
	}
	g, err := pipeline.Plan(cfg.Pipelines[t.run.Kind])
	if err != nil {
		return
	}
	for _, s := range g.Steps() {
		t.step(s.Name)
	}
}

func (t *runTail) step(name string) *stepTail {
	s, ok := t.byName[name]
	if !ok {
		s = &stepTail{name: name, path: filepath.Join(t.logDir, stepLogName(name))}
		t.byName[name] = s
		t.steps = append(t.steps, s)
	}
	return s
}

// stepLogName is the file the pipeline runner writes a step's output to, under
// <data>/logs/<run>/ (pipeline's logName). The step.finished event carries the
// exact path; this finds the file of a step still running.
func stepLogName(step string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || r == ':' {
			return '_'
		}
		return r
	}, step) + ".log"
}

// refresh reads the journal's new events of the run, then the log directory for
// steps that have started since.
func (t *runTail) refresh(ctx context.Context) error {
	evs, err := t.st.Events(ctx, store.Filter{Run: t.run.ID, AfterID: t.lastID, Kinds: []string{"step.*", "run.*"}})
	if err != nil {
		return fmt.Errorf("run logs %s: %w", t.run.ID, err)
	}
	for _, e := range evs {
		t.lastID = e.ID
		switch e.Kind {
		case "step.finished":
			s := t.step(dataString(e.Data, "step"))
			s.finished, s.end = true, e.Message
			if p := dataString(e.Data, "log"); p != "" {
				s.path = p
			}
		case "run.finished", "run.canceled":
			t.ended = true
		}
	}
	entries, _ := os.ReadDir(t.logDir)
	var found []string
	for _, en := range entries {
		if name, ok := strings.CutSuffix(en.Name(), ".log"); ok && !en.IsDir() {
			found = append(found, name)
		}
	}
	slices.Sort(found)
	for _, name := range found {
		if !slices.ContainsFunc(t.steps, func(s *stepTail) bool { return filepath.Base(s.path) == name+".log" }) {
			t.step(name)
		}
	}
	return nil
}

// print writes every step's output; with follow it keeps going until the run
// has ended and everything is printed, or ctx is done.
func (t *runTail) print(ctx context.Context, follow bool) error {
	fmt.Fprintf(t.out, "run %s: %s %s %s @%s\n", t.run.ID, dash(t.run.Service), dash(t.run.Kind), dash(t.run.Branch), dash(short(t.run.Commit, 7)))
	tick := time.NewTicker(t.poll)
	defer tick.Stop()
	for {
		if err := t.refresh(ctx); err != nil {
			return err
		}
		done := t.ended || !follow
		for t.cur < len(t.steps) {
			s := t.steps[t.cur]
			if err := t.copyStep(s, done); err != nil {
				return err
			}
			if !s.finished && !done {
				break
			}
			t.cur++
		}
		if done {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
	if !t.ended {
		fmt.Fprintf(t.out, "run %s is still running: slipway run logs %s --follow keeps reading\n", t.run.ID, t.run.ID)
	}
	return nil
}

// copyStep prints s's header once output or an end exists, its new output, and
// its end line once it has finished. A step with neither (not started) is
// printed only when the run is done.
func (t *runTail) copyStep(s *stepTail, done bool) error {
	f, err := os.Open(s.path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("run logs %s: step %s: %w", t.run.ID, s.name, err)
	}
	if f == nil && !s.finished && !done {
		return nil
	}
	if !s.headed {
		fmt.Fprintf(t.out, "==> %s\n", s.name)
		s.headed = true
	}
	if f != nil {
		defer f.Close()
		if _, err := f.Seek(s.offset, io.SeekStart); err != nil {
			return fmt.Errorf("run logs %s: step %s: %w", t.run.ID, s.name, err)
		}
		n, err := io.Copy(lastByte{t.out, &s.last}, f)
		s.offset += n
		if err != nil {
			return fmt.Errorf("run logs %s: step %s: %w", t.run.ID, s.name, err)
		}
	}
	if s.offset > 0 && s.last != '\n' && (s.finished || done) {
		fmt.Fprintln(t.out)
		s.last = '\n'
	}
	switch {
	case s.finished:
		fmt.Fprintf(t.out, "<== %s\n", s.end)
	case done && t.ended:
		fmt.Fprintf(t.out, "<== step %s did not run\n", s.name)
	case done:
		fmt.Fprintf(t.out, "<== step %s: no result yet\n", s.name)
	}
	return nil
}
