package pipeline

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/slipway/slipway/internal/store"
)

type outcome struct {
	idx int
	res StepResult
	// cacheErr is a cache write that did not succeed; the step still passed.
	cacheErr error
}

// schedule runs the steps: each starts once all its needs passed, at most
// r.parallel() at a time; a failed step skips everything that needs it, directly or
// not. It returns the results in plan order and ctx's error if the run was stopped.
func (r *Runner) schedule(ctx context.Context, s Spec, g *Graph, steps []planned, p *progress, run string, errs *[]error) ([]StepResult, error) {
	results := make([]StepResult, len(steps))
	done := make([]bool, len(steps))
	waiting := make([]int, len(steps))
	var ready []int
	for i, st := range steps {
		waiting[i] = len(st.needs)
		if waiting[i] == 0 {
			ready = append(ready, i)
		}
	}
	outcomes := make(chan outcome)
	running, finished := 0, 0
	limit := r.parallel()

	finish := func(i int, res StepResult) {
		results[i], done[i] = res, true
		finished++
		p.step(res, steps[i])
		if err := r.journal(context.WithoutCancel(ctx), stepEvent(s, run, res)); err != nil {
			*errs = append(*errs, err)
		}
	}
	var skip func(i int, because string)
	skip = func(i int, because string) {
		for _, d := range g.Dependants(steps[i].step.Name) {
			j := g.index[d]
			if done[j] {
				continue
			}
			finish(j, StepResult{Name: d, Status: Skipped, ExitCode: -1, Note: "needs " + because})
			skip(j, because)
		}
	}

	for finished < len(steps) {
		for len(ready) > 0 && running < limit && ctx.Err() == nil {
			i := ready[0]
			ready = ready[1:]
			running++
			go func() {
				o := r.runStep(ctx, s, steps[i])
				o.idx = i
				outcomes <- o
			}()
		}
		if running == 0 {
			// Stopped: whatever has not started never will.
			for i := range steps {
				if !done[i] {
					finish(i, StepResult{Name: steps[i].step.Name, Status: Skipped, ExitCode: -1, Note: "run stopped"})
				}
			}
			break
		}
		o := <-outcomes
		running--
		if o.cacheErr != nil {
			p.warn(fmt.Sprintf("step %s passed but its result was not cached: %v", o.res.Name, o.cacheErr))
		}
		finish(o.idx, o.res)
		if o.res.Status != Passed {
			skip(o.idx, o.res.Name)
			continue
		}
		var next []int
		for _, d := range g.Dependants(o.res.Name) {
			j := g.index[d]
			waiting[j]--
			if waiting[j] == 0 && !done[j] {
				next = append(next, j)
			}
		}
		ready = ordered(append(ready, next...))
	}
	if err := ctx.Err(); err != nil {
		return results, fmt.Errorf("stopped: %w", err)
	}
	return results, nil
}

func stepEvent(s Spec, run string, res StepResult) store.Event {
	msg := fmt.Sprintf("step %s %s", res.Name, res.Status)
	switch {
	case res.Cached:
		msg += " (cached)"
	case res.Status == Failed && res.Note != "":
		msg += " (" + res.Note + ")"
	case res.Status == Failed:
		msg += fmt.Sprintf(" (exit %d)", res.ExitCode)
	case res.Status == Skipped:
		msg += " (" + res.Note + ")"
	}
	return store.Event{Kind: "step.finished", Service: s.Service, Run: run, Message: msg,
		Data: map[string]any{"step": res.Name, "status": res.Status, "cached": res.Cached,
			"duration_ms": res.Duration.Milliseconds(), "exit_code": res.ExitCode,
			"key": res.Key, "log": res.Log}}
}

// runStep computes the step's cache key, answers from the cache when it can and
// otherwise executes the command under the step's timeout.
func (r *Runner) runStep(ctx context.Context, s Spec, st planned) (o outcome) {
	started := r.now()
	name := st.step.Name
	o.res = StepResult{Name: name, Log: st.log, ExitCode: -1, Started: started}
	defer func() {
		o.res.Finished = r.now()
		o.res.Duration = o.res.Finished.Sub(started)
	}()
	fail := func(note string) outcome {
		o.res.Status, o.res.Note = Failed, note
		appendLog(st.log, "slipway: "+note)
		return o
	}

	env := stepEnv(st.step.Env)
	cacheable := r.CacheDir != "" && (st.step.Cache == nil || *st.step.Cache)
	c := cache{dir: r.CacheDir}
	if cacheable {
		files, err := listFiles(ctx, s.Dir, r.skipDirs(s.Dir))
		if err != nil {
			return fail(err.Error())
		}
		inputs, err := selectInputs(name, files, st.step.Inputs)
		if err != nil {
			return fail(err.Error())
		}
		key, err := stepKey(st.command, env, inputs, s.Dir)
		if err != nil {
			return fail(fmt.Sprintf("step %q: %v", name, err))
		}
		o.res.Key = key
		if e, ok, err := c.get(key, st.log); err != nil {
			return fail(err.Error())
		} else if ok {
			o.res.Status, o.res.Cached, o.res.ExitCode = Passed, true, e.ExitCode
			return o
		}
	}

	logf, err := os.Create(st.log)
	if err != nil {
		return fail(fmt.Sprintf("step %q: create log: %v", name, err))
	}
	timeout := st.step.Timeout.D()
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	sctx, cancel := context.WithTimeout(ctx, timeout)
	code, execErr := r.Exec.Exec(sctx, Task{Dir: s.Dir, Command: st.command, Env: append(append([]string(nil), s.Env...), env...), Output: logf})
	timedOut := errors.Is(sctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil
	cancel()
	logf.Close()
	o.res.ExitCode = code
	switch {
	case timedOut:
		return fail(fmt.Sprintf("timed out after %s", timeout))
	case ctx.Err() != nil:
		return fail("stopped: " + ctx.Err().Error())
	case execErr != nil:
		return fail("could not run: " + execErr.Error())
	case code != 0:
		o.res.Status = Failed
		return o
	}
	o.res.Status = Passed
	if cacheable {
		o.cacheErr = c.put(o.res.Key, cacheEntry{Step: name, ExitCode: code,
			DurationMS: r.now().Sub(started).Milliseconds(), Created: r.now()}, st.log)
	}
	return o
}

// skipDirs lists the directories under dir that are never inputs: the cache and the
// logs, when they live inside the tree.
func (r *Runner) skipDirs(dir string) []string {
	var out []string
	for _, d := range []string{r.CacheDir, r.logDir()} {
		if rel, ok := within(dir, d); ok {
			out = append(out, rel)
		}
	}
	return out
}

// stepEnv returns the step's own variables as sorted KEY=value pairs.
func stepEnv(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

func appendLog(path, line string) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintln(f, strings.TrimRight(line, "\n"))
}

// within returns target relative to dir, slash-separated, when target is inside dir.
func within(dir, target string) (string, bool) {
	if target == "" {
		return "", false
	}
	absDir, err1 := filepath.Abs(dir)
	absT, err2 := filepath.Abs(target)
	if err1 != nil || err2 != nil {
		return "", false
	}
	rel, err := filepath.Rel(absDir, absT)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}
