package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/store"
)

// Run statuses as `slipway runs` shows them.
const (
	runRunning  = "running"
	runPassed   = "passed"
	runFailed   = "failed"
	runCanceled = "canceled"
)

// runSummary is one pipeline run read back from the journal.
type runSummary struct {
	ID      string `json:"id"`
	Service string `json:"service"`
	Kind    string `json:"kind"`
	Branch  string `json:"branch"`
	Commit  string `json:"commit"`
	// Status is running, passed, failed or canceled.
	Status     string    `json:"status"`
	Steps      int       `json:"steps"`
	Started    time.Time `json:"started"`
	Finished   time.Time `json:"finished,omitzero"`
	DurationMS int64     `json:"duration_ms,omitempty"`
	Failed     []string  `json:"failed,omitempty"`
	Skipped    []string  `json:"skipped,omitempty"`
}

// Duration is how long the run took, or has been running at now.
func (r runSummary) Duration(now time.Time) time.Duration {
	if r.Status == runRunning {
		return now.Sub(r.Started)
	}
	return time.Duration(r.DurationMS) * time.Millisecond
}

// runFilter selects runs; zero fields match every run.
type runFilter struct {
	Service, Branch string
	// Limit keeps the newest Limit runs; 0 keeps all.
	Limit int
}

// listRuns reads the runs f selects from the journal, newest first: a run.started
// event opens a run, run.finished or run.canceled ends it.
func listRuns(ctx context.Context, st *store.Store, f runFilter) ([]runSummary, error) {
	started, err := st.Events(ctx, store.Filter{Service: f.Service, Kinds: []string{"run.started"}})
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	var runs []runSummary
	index := map[string]int{}
	for i := len(started) - 1; i >= 0 && (f.Limit <= 0 || len(runs) < f.Limit); i-- {
		e := started[i]
		r := runSummary{ID: e.Run, Service: e.Service, Kind: dataString(e.Data, "kind"), Branch: dataString(e.Data, "branch"),
			Commit: dataString(e.Data, "commit"), Status: runRunning, Steps: int(dataNumber(e.Data, "steps")), Started: e.Time}
		if f.Branch != "" && r.Branch != f.Branch {
			continue
		}
		index[r.ID] = len(runs)
		runs = append(runs, r)
	}
	if len(runs) == 0 {
		return runs, nil
	}
	ends, err := st.Events(ctx, store.Filter{Service: f.Service, Kinds: []string{"run.finished", "run.canceled"},
		Since: runs[len(runs)-1].Started.Add(-time.Second)}) // the journal compares times as text: leave a margin
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	for _, e := range ends {
		i, ok := index[e.Run]
		if !ok {
			continue
		}
		endRun(&runs[i], e)
	}
	return runs, nil
}

// endRun applies a run.finished or run.canceled event to r; a cancel wins over
// the failed finish that may come with it.
func endRun(r *runSummary, e store.Event) {
	if r.Status == runCanceled {
		return
	}
	r.Finished = e.Time
	if ms := dataNumber(e.Data, "duration_ms"); ms > 0 {
		r.DurationMS = int64(ms)
	} else {
		r.DurationMS = e.Time.Sub(r.Started).Milliseconds()
	}
	r.Failed, r.Skipped = dataStrings(e.Data, "failed"), dataStrings(e.Data, "skipped")
	switch {
	case e.Kind == "run.canceled":
		r.Status = runCanceled
	case dataBool(e.Data, "passed"):
		r.Status = runPassed
	default:
		r.Status = runFailed
	}
}

// findRun returns the run with id ref, or the only run whose id starts with ref.
func findRun(ctx context.Context, st *store.Store, ref string) (runSummary, error) {
	runs, err := listRuns(ctx, st, runFilter{})
	if err != nil {
		return runSummary{}, err
	}
	var matches []runSummary
	for _, r := range runs {
		if r.ID == ref {
			return r, nil
		}
		if strings.HasPrefix(r.ID, ref) {
			matches = append(matches, r)
		}
	}
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return runSummary{}, fmt.Errorf("no pipeline run %q in the journal (slipway runs lists run ids, newest first)", ref)
	}
	ids := make([]string, 0, 3)
	for _, m := range matches[:min(3, len(matches))] {
		ids = append(ids, m.ID)
	}
	return runSummary{}, fmt.Errorf("run %q matches %d runs (%s...): give more of the id (slipway runs lists them)", ref, len(matches), strings.Join(ids, ", "))
}

func dataString(d map[string]any, key string) string {
	s, _ := d[key].(string)
	return s
}

func dataNumber(d map[string]any, key string) float64 {
	n, _ := d[key].(float64)
	return n
}

func dataBool(d map[string]any, key string) bool {
	b, _ := d[key].(bool)
	return b
}

func dataStrings(d map[string]any, key string) []string {
	list, _ := d[key].([]any)
	var out []string
	for _, v := range list {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
