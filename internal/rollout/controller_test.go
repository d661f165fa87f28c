package rollout

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/router"
	"github.com/slipway/slipway/internal/store"
)

// scripted answers each read of the candidate (2.0.0) with the next series
// (cumulative), or an error. The stable serves clean traffic, 1,000 requests a read.
type scripted struct {
	reads  []analysis.Series
	errs   []error
	i      int
	stable float64
}

func (s *scripted) Query(ctx context.Context, q analysis.Query) (analysis.Series, error) {
	if q.Version != "2.0.0" {
		s.stable += 1000
		return analysis.Series{Version: q.Version, Requests: s.stable}, nil
	}
	i := s.i
	if i >= len(s.reads) {
		i = len(s.reads) - 1
	}
	s.i++
	if i < len(s.errs) && s.errs[i] != nil {
		return analysis.Series{}, s.errs[i]
	}
	return s.reads[i], nil
}

// weights records every split applied, as the candidate's weight.
type weights struct{ applied []int }

func (w *weights) Apply(ctx context.Context, cfg router.Config) (router.Config, error) {
	cand := 0
	for _, b := range cfg.Backends {
		if b.Version == "2.0.0" {
			cand = b.Weight
		}
	}
	if n := len(w.applied); n == 0 || w.applied[n-1] != cand {
		w.applied = append(w.applied, cand)
	}
	return cfg, nil
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func setup(t *testing.T, p *scripted) (*Controller, *weights, *clock, *store.Store) {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &weights{}
	clk := &clock{t: time.Date(2026, 2, 5, 10, 0, 0, 0, time.UTC)}
	c := &Controller{Store: st, Now: clk.now,
		Router:  func(string, string) Splitter { return w },
		Metrics: func(string, string) analysis.Provider { return p }}
	return c, w, clk, st
}

func spec() Spec {
	return Spec{Service: "api", Env: "prod", Profile: "standard",
		Stable: Release{Version: "1.0.0", URL: "http://s"}, Candidate: Release{Version: "2.0.0", URL: "http://c"},
		Steps: []int{10, 50, 100}, Bake: 10 * time.Second, Interval: 5 * time.Second, OnNoData: NoDataRollback,
		Criteria: analysis.Criteria{MinRequests: 100, Checks: []analysis.Check{{Metric: analysis.ErrorRate, Max: 0.01}}},
		Judge:    analysis.Sequential{MinRequests: 100, LowTraffic: analysis.LowTrafficWait}}
}

// start reserves an id and starts a rollout, failing the test on error.
func start(t *testing.T, c *Controller, s Spec) (*Rollout, error) {
	t.Helper()
	id, err := c.NewID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c.Start(context.Background(), id, s)
}

// tick advances the clock by d and reconciles once.
func tick(t *testing.T, c *Controller, clk *clock, r *Rollout, d time.Duration) {
	t.Helper()
	clk.t = clk.t.Add(d)
	if err := c.Reconcile(context.Background(), r); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
}

func TestHealthyCandidateIsPromotedStepByStep(t *testing.T) {
	// Reads: baseline, then clean traffic growing 100 requests per read.
	p := &scripted{}
	for n := 0.0; n <= 2000; n += 100 {
		p.reads = append(p.reads, analysis.Series{Requests: n})
	}
	c, w, clk, _ := setup(t, p)
	r, err := start(t, c, spec())
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		phase  Phase
		weight int
	}{
		{Progressing, 10}, // baseline read
		{Progressing, 10}, // 5s: passing but baking
		{Progressing, 50}, // 10s: bake done -> next step, baseline read
		{Progressing, 50},
		{Promoted, 100},
	}
	for i, wt := range want {
		tick(t, c, clk, r, 5*time.Second)
		if r.Phase != wt.phase || r.Weight != wt.weight {
			t.Fatalf("tick %d: phase %s weight %d, want %s %d (last verdict %+v)", i, r.Phase, r.Weight, wt.phase, wt.weight, r.Last)
		}
	}
	if diff := cmp.Diff([]int{10, 50, 100}, w.applied); diff != "" {
		t.Errorf("weights applied (-want +got):\n%s", diff)
	}
}

func TestErrorsRollBackAtOnce(t *testing.T) {
	p := &scripted{reads: []analysis.Series{
		{Requests: 500, Errors: 0}, // baseline: traffic before the step does not count
		{Requests: 540, Errors: 1},
		{Requests: 580, Errors: 3}, // 3 errors in 80 requests: more than 1% of 100 already
	}}
	c, w, clk, st := setup(t, p)
	r, _ := start(t, c, spec())
	tick(t, c, clk, r, time.Second)
	tick(t, c, clk, r, time.Second)
	if r.Phase != Progressing {
		t.Fatalf("after 1 error in 40: phase %s, want progressing", r.Phase)
	}
	tick(t, c, clk, r, time.Second)
	if r.Phase != RolledBack || r.Weight != 0 || r.CandidateErrors != 3 {
		t.Fatalf("phase %s weight %d errors %v, want rolled back, 0, 3", r.Phase, r.Weight, r.CandidateErrors)
	}
	if diff := cmp.Diff([]int{10, 0}, w.applied); diff != "" {
		t.Errorf("weights applied (-want +got):\n%s", diff)
	}
	evs, _ := st.Events(context.Background(), store.Filter{Kinds: []string{"rollout.rolledback"}})
	if len(evs) != 1 {
		t.Fatalf("rolledback events = %d, want 1", len(evs))
	}
	checks := evs[0].Data["checks"].([]any)
	got := checks[0].(map[string]any)
	if got["metric"] != "error-rate" || got["errors"] != 3.0 || got["samples"] != 80.0 || got["threshold"] != 0.01 {
		t.Errorf("rollback evidence = %v, want error-rate 3 errors of 80, threshold 0.01", got)
	}
	// A rolled back rollout stays put on later passes.
	tick(t, c, clk, r, time.Minute)
	if r.Phase != RolledBack || len(w.applied) != 2 {
		t.Errorf("after another pass: phase %s, weights %v", r.Phase, w.applied)
	}
}

func TestProviderOutageNeverPromotes(t *testing.T) {
	for _, action := range []string{NoDataRollback, NoDataPause} {
		down := errors.New("connection refused")
		p := &scripted{reads: make([]analysis.Series, 6), errs: []error{nil, down, down, down, down, down}}
		c, _, clk, _ := setup(t, p)
		s := spec()
		s.OnNoData = action
		r, _ := start(t, c, s)
		for i := 0; i < 5; i++ {
			tick(t, c, clk, r, 10*time.Second)
		}
		want := map[string]Phase{NoDataRollback: RolledBack, NoDataPause: Paused}[action]
		if r.Phase != want {
			t.Errorf("on-no-data %s: phase %s, want %s", action, r.Phase, want)
		}
	}
}

func TestThinTrafficFollowsTheLowTrafficRule(t *testing.T) {
	tests := []struct {
		rule             analysis.LowTraffic
		afterBake, later Phase
	}{
		{analysis.LowTrafficWait, Progressing, Progressing},
		{analysis.LowTrafficExtend, Progressing, RolledBack},
		{analysis.LowTrafficFail, RolledBack, RolledBack},
	}
	for _, tt := range tests {
		p := &scripted{reads: []analysis.Series{{Requests: 0}, {Requests: 10}}}
		c, w, clk, _ := setup(t, p)
		s := spec()
		s.Judge.LowTraffic, s.Judge.MaxExtension = tt.rule, 20*time.Second
		r, _ := start(t, c, s)
		tick(t, c, clk, r, time.Second)    // baseline
		tick(t, c, clk, r, 15*time.Second) // past the bake with 10 of 100 requests
		if r.Phase != tt.afterBake {
			t.Errorf("%s: after the bake phase %s, want %s (%s)", tt.rule, r.Phase, tt.afterBake, r.Reason)
		}
		tick(t, c, clk, r, 20*time.Second) // past the extension
		if r.Phase != tt.later {
			t.Errorf("%s: after the extension phase %s, want %s", tt.rule, r.Phase, tt.later)
		}
		if r.Phase == Promoted || w.applied[len(w.applied)-1] == 100 {
			t.Errorf("%s: thin traffic promoted the candidate", tt.rule)
		}
	}
}

func TestResumeFromStore(t *testing.T) {
	p := &scripted{}
	for n := 0.0; n <= 2000; n += 100 {
		p.reads = append(p.reads, analysis.Series{Requests: n})
	}
	c, w, clk, _ := setup(t, p)
	r, _ := start(t, c, spec())
	tick(t, c, clk, r, 5*time.Second)
	tick(t, c, clk, r, 5*time.Second)
	tick(t, c, clk, r, 5*time.Second) // now at 50%
	// A new controller process reads the rollout back and carries on.
	r2, err := c.Load(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Weight != 50 || r2.Phase != Progressing {
		t.Fatalf("loaded weight %d phase %s, want 50 progressing", r2.Weight, r2.Phase)
	}
	for i := 0; i < 3 && !r2.Phase.Terminal(); i++ {
		tick(t, c, clk, r2, 5*time.Second)
	}
	if r2.Phase != Promoted || w.applied[len(w.applied)-1] != 100 {
		t.Errorf("resumed rollout: phase %s weights %v, want promoted at 100", r2.Phase, w.applied)
	}
}

func TestStartRejectsBadSpecs(t *testing.T) {
	c, _, _, _ := setup(t, &scripted{reads: []analysis.Series{{}}})
	for _, mod := range []func(*Spec){
		func(s *Spec) { s.Steps = []int{10, 50} },
		func(s *Spec) { s.Steps = []int{50, 10, 100} },
		func(s *Spec) { s.Interval = 0 },
		func(s *Spec) { s.OnNoData = "promote" },
	} {
		s := spec()
		mod(&s)
		if _, err := start(t, c, s); err == nil {
			t.Errorf("Start(%+v) succeeded, want an error", s)
		}
	}
}

// A control plane killed after saving a rollback but before journaling it writes the
// event when it resumes, once.
func TestResumeRecordsAMissingEnd(t *testing.T) {
	ctx := context.Background()
	c, _, clk, st := setup(t, cleanTraffic())
	r, _ := start(t, c, spec())
	r.Phase, r.Reason, r.FinishedAt = RolledBack, "error-rate 3.00% > 1.00%", clk.t
	if err := st.Put(ctx, "rollout", r.ID, r); err != nil { // the save landed; the event did not
		t.Fatal(err)
	}
	resumed, err := c.Load(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		tick(t, c, clk, resumed, time.Second)
	}
	evs, _ := st.Events(ctx, store.Filter{Rollout: r.ID, Kinds: []string{"rollout.rolledback"}})
	if len(evs) != 1 || evs[0].Data["reason"] != r.Reason || evs[0].Data["stable_version"] != "1.0.0" {
		t.Fatalf("rolledback events = %d (%v), want one with the reason and the stable version", len(evs), evs)
	}
}
