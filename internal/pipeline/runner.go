package pipeline

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/store"
)

// DefaultTimeout bounds a step that sets no timeout.
const DefaultTimeout = 10 * time.Minute

// Step statuses.
const (
	Passed  = "passed"
	Failed  = "failed"
	Skipped = "skipped"
)

// Journal records what happened. store's journal implements it. Append may be
// called from the Runner's goroutine only, never concurrently.
type Journal interface {
	Append(ctx context.Context, e store.Event) (store.Event, error)
}

// Runner runs pipelines. Its fields are read, never written, by Run, so one Runner
// may run several pipelines at once.
type Runner struct {
	// Exec runs step commands (required).
	Exec Executor
	// CacheDir holds the content-addressed step cache. Empty disables caching.
	CacheDir string
	// LogDir receives one log file per step and run, under LogDir/<run>/.
	// Default: CacheDir/logs, or slipway-logs in the system temp directory when
	// CacheDir is empty.
	LogDir string
	// Journal receives run.started, step.finished and run.finished events. May be nil.
	Journal Journal
	// Out receives human progress lines. Nil discards them.
	Out io.Writer
	// Parallel bounds how many steps run at once. Default runtime.NumCPU().
	Parallel int
	// Now tells the time. Default time.Now.
	Now func() time.Time
}

// Spec is what to run: one pipeline of one service for one commit.
type Spec struct {
	Service string
	// Kind is the run kind: branch, pr, main or hotfix.
	Kind   string
	Branch string
	Commit string
	// Dir is the checked-out tree the steps run in (required).
	Dir      string
	Pipeline config.Pipeline
	// Vars is the data step commands are rendered with.
	Vars Vars
	// Env is added to the environment of every step, before the step's own env
	// (e.g. PATH=<dir of the slipway binary>:...). It is not part of the cache key.
	Env []string
}

// Result is the outcome of a run.
type Result struct {
	Run      string
	Passed   bool
	Steps    []StepResult // in plan order
	Duration time.Duration
}

// StepResult is the outcome of one step.
type StepResult struct {
	Name string
	// Status is passed, failed or skipped.
	Status string
	// Cached is set when the result came from the cache without running.
	Cached   bool
	Duration time.Duration
	// ExitCode is the command's exit code; -1 when it could not run, was stopped or
	// was skipped.
	ExitCode int
	// Log is the path of the step's output.
	Log string
	// Key is the step's cache key; empty when caching is off for it.
	Key string
	// Started and Finished are when the step began and ended (zero when skipped).
	Started, Finished time.Time
	// Note says why a step failed without an exit code, or was skipped.
	Note string
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Runner) logDir() string {
	switch {
	case r.LogDir != "":
		return r.LogDir
	case r.CacheDir != "":
		return filepath.Join(r.CacheDir, "logs")
	default:
		return filepath.Join(os.TempDir(), "slipway-logs")
	}
}

// planned is a step ready to run: its config and rendered command.
type planned struct {
	step    config.Step
	command string
	needs   []string
	log     string
}

// Run plans s.Pipeline and runs it. A failing step is not an error: it makes
// Result.Passed false. The error is for a pipeline that cannot run (invalid plan,
// bad command template, missing directory) or a run stopped by ctx, in which case
// the partial Result is returned with it.
func (r *Runner) Run(ctx context.Context, s Spec) (Result, error) {
	if r.Exec == nil {
		return Result{}, errors.New("run pipeline: no executor configured")
	}
	g, err := Plan(s.Pipeline)
	if err != nil {
		return Result{}, err
	}
	if fi, err := os.Stat(s.Dir); err != nil || !fi.IsDir() {
		return Result{}, fmt.Errorf("run pipeline: directory %q does not exist: check out the commit first", s.Dir)
	}
	id, err := newRunID(s.Commit, s.Kind)
	if err != nil {
		return Result{}, fmt.Errorf("run pipeline: %w", err)
	}
	logs := filepath.Join(r.logDir(), id)
	steps := make([]planned, g.Len())
	var errs []error
	for i, st := range g.Steps() {
		cmd, err := render(st.Name, st.Run, s.Vars)
		if err != nil {
			errs = append(errs, err)
		}
		steps[i] = planned{step: st, command: cmd, needs: uniq(st.Needs), log: filepath.Join(logs, logName(st.Name))}
	}
	if len(errs) > 0 {
		return Result{}, fmt.Errorf("run pipeline: %w", errors.Join(errs...))
	}
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return Result{}, fmt.Errorf("run pipeline: log directory: %w", err)
	}

	start := r.now()
	p := &progress{out: r.Out, width: nameWidth(steps)}
	p.header(s, len(steps))
	if err := r.journal(ctx, store.Event{Kind: "run.started", Service: s.Service, Run: id,
		Message: fmt.Sprintf("pipeline %s %s @%s started: %d steps", s.Kind, s.Branch, short(s.Commit), len(steps)),
		Data:    map[string]any{"kind": s.Kind, "branch": s.Branch, "commit": s.Commit, "steps": len(steps)},
	}); err != nil {
		return Result{}, fmt.Errorf("run pipeline %s: %w", id, err)
	}

	results, runErr := r.schedule(ctx, s, g, steps, p, id, &errs)
	res := Result{Run: id, Passed: runErr == nil, Steps: results, Duration: r.now().Sub(start)}
	var failed, skipped []string
	for _, sr := range results {
		switch sr.Status {
		case Failed:
			failed = append(failed, sr.Name)
			res.Passed = false
		case Skipped:
			skipped = append(skipped, sr.Name)
			res.Passed = false
		}
	}
	p.footer(res, failed, skipped)
	verdict := "passed"
	if !res.Passed {
		verdict = "failed"
	}
	if err := r.journal(context.WithoutCancel(ctx), store.Event{Kind: "run.finished", Service: s.Service, Run: id,
		Message: fmt.Sprintf("pipeline %s %s @%s %s in %s", s.Kind, s.Branch, short(s.Commit), verdict, seconds(res.Duration)),
		Data: map[string]any{"passed": res.Passed, "duration_ms": res.Duration.Milliseconds(),
			"failed": failed, "skipped": skipped, "commit": s.Commit},
	}); err != nil {
		errs = append(errs, err)
	}
	if runErr != nil {
		errs = append([]error{runErr}, errs...)
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("run pipeline %s: %w", id, errors.Join(errs...))
	}
	return res, nil
}

func (r *Runner) journal(ctx context.Context, e store.Event) error {
	if r.Journal == nil {
		return nil
	}
	e.Time = r.now()
	if _, err := r.Journal.Append(ctx, e); err != nil {
		return fmt.Errorf("journal %s: %w", e.Kind, err)
	}
	return nil
}

func newRunID(commit, kind string) (string, error) {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	if kind == "" {
		kind = "run"
	}
	c := short(commit)
	if c == "" {
		c = "nocommit"
	}
	return fmt.Sprintf("run-%s-%s-%s", c, kind, hex.EncodeToString(b[:])), nil
}

func short(commit string) string {
	if len(commit) > 7 {
		return commit[:7]
	}
	return commit
}

// logName makes a file name from a step name.
func logName(step string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 || r == ':' {
			return '_'
		}
		return r
	}, step) + ".log"
}

func nameWidth(steps []planned) int {
	w := 0
	for _, s := range steps {
		w = max(w, len(s.step.Name))
	}
	return w
}

// parallel returns the step concurrency bound.
func (r *Runner) parallel() int {
	if r.Parallel > 0 {
		return r.Parallel
	}
	return runtime.NumCPU()
}

// ordered sorts step indexes so ready steps start in plan order.
func ordered(idx []int) []int { slices.Sort(idx); return idx }
