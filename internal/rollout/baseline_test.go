package rollout

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/router"
)

// tracks serves cumulative reads of three tracks through QueryAll: every read adds
// perRead requests to each, the candidate and the baseline failing errRate of them
// and the stable none; with slowFresh the candidate and the baseline answer every
// request in 50-500ms and the stable under 50ms - what fresh processes share (a
// cold cache).
type tracks struct {
	perRead, errRate float64
	slowFresh        bool
	// candidateOnly keeps the baseline clean: the fault is the candidate's.
	candidateOnly    bool
	batches, queries int
	reads            float64
	// last holds the last queries of a batch.
	last []analysis.Query
}

func (p *tracks) Query(ctx context.Context, q analysis.Query) (analysis.Series, error) {
	out, err := p.QueryAll(ctx, []analysis.Query{q})
	if err != nil {
		return analysis.Series{}, err
	}
	return out[0], nil
}

func (p *tracks) QueryAll(_ context.Context, qs []analysis.Query) ([]analysis.Series, error) {
	p.batches++
	p.queries += len(qs)
	p.last = qs
	p.reads++
	out := make([]analysis.Series, len(qs))
	for i, q := range qs {
		n := p.reads * p.perRead
		// reads are 5s apart, as the runs below tick
		s := analysis.Series{Version: q.Version, Requests: n, At: time.Unix(int64(5*p.reads), 0)}
		fresh := q.Version == "2.0.0" || q.Track == analysis.TrackBaseline
		if fresh && (q.Version == "2.0.0" || !p.candidateOnly) {
			s.Errors = n * p.errRate
		}
		s.Latency = analysis.Histogram{Bounds: []float64{0.05, 0.5, 5}, Counts: []float64{n, n, n}, Count: n}
		if fresh && p.slowFresh {
			s.Latency.Counts[0] = 0
		}
		out[i] = s
	}
	return out, nil
}

// splits records every router config applied.
type splits struct{ applied []router.Config }

func (s *splits) Apply(_ context.Context, cfg router.Config) (router.Config, error) {
	s.applied = append(s.applied, cfg)
	return cfg, nil
}

func baselineSpec() Spec {
	s := spec()
	s.Stable = NewRelease("1.0.0", "sha256:a", "http://s")
	s.Candidate = NewRelease("2.0.0", "sha256:b", "http://c")
	s.Baseline = NewRelease("1.0.0", "sha256:a", "http://b")
	s.Criteria.Checks = []analysis.Check{{Metric: analysis.LatencyP95, NoMax: true, VsStable: 1.5}}
	return s
}

func run(t *testing.T, s Spec, p *tracks) (*Rollout, *splits) {
	t.Helper()
	c, _, clk, _ := setup(t, nil)
	sp := &splits{}
	c.Router = func(string, string) Splitter { return sp }
	c.Metrics = func(string, string) analysis.Provider { return p }
	r, err := start(t, c, s)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50 && !r.Phase.Terminal(); i++ {
		tick(t, c, clk, r, 5*time.Second)
	}
	return r, sp
}

// Latency both fresh processes share is not the candidate's: judged against the
// baseline it promotes; judged against the warm stable it is rolled back.
func TestCandidateIsJudgedAgainstTheBaseline(t *testing.T) {
	p := &tracks{perRead: 2000, slowFresh: true}
	r, sp := run(t, baselineSpec(), p)
	if r.Phase != Promoted {
		t.Fatalf("with a baseline: %s (%s); want promoted", r.Phase, r.Reason)
	}
	if p.queries != 3*p.batches {
		t.Errorf("%d queries in %d reads; want candidate, stable and baseline in each read", p.queries, p.batches)
	}
	if want := (analysis.Query{Service: "api", Env: "prod", Version: "1.0.0", Track: analysis.TrackBaseline}); p.last[2] != want {
		t.Errorf("third query %+v, want %+v", p.last[2], want)
	}
	first := sp.applied[0].Backends
	wantFirst := []router.Backend{{Version: "1.0.0", URL: "http://s", Weight: 80},
		{Version: "1.0.0", URL: "http://b", Weight: 10, Track: router.TrackBaseline}, {Version: "2.0.0", URL: "http://c", Weight: 10}}
	if diff := cmp.Diff(wantFirst, first); diff != "" {
		t.Errorf("first split (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]router.Backend{{Version: "2.0.0", URL: "http://c", Weight: 100}}, sp.applied[len(sp.applied)-1].Backends); diff != "" {
		t.Errorf("final split (-want +got):\n%s", diff)
	}

	s := baselineSpec()
	s.Baseline = Release{}
	p = &tracks{perRead: 2000, slowFresh: true}
	r, _ = run(t, s, p)
	if r.Phase != RolledBack {
		t.Fatalf("without a baseline: %s; want rolled back against the fast stable", r.Phase)
	}
	if !strings.Contains(r.Reason, "worse than stable") || strings.Contains(r.Reason, "baseline") {
		t.Errorf("reason without a baseline %q; want it compared with the stable alone", r.Reason)
	}
	if p.queries != 2*p.batches {
		t.Errorf("%d queries in %d reads without a baseline; want two a read", p.queries, p.batches)
	}
}

func TestRolledBackSplitDropsTheBaseline(t *testing.T) {
	p := &tracks{perRead: 2000, errRate: 0.03, candidateOnly: true}
	s := baselineSpec()
	s.Criteria.Checks = []analysis.Check{{Metric: analysis.ErrorRate, Max: 0.01}}
	r, sp := run(t, s, p)
	if r.Phase != RolledBack {
		t.Fatalf("phase %s, want rolled back: over the 1%% bound and worse than its baseline", r.Phase)
	}
	if !strings.Contains(r.Reason, "worse than stable + baseline") || !strings.Contains(r.Reason, "on the stable + baseline") {
		t.Errorf("reason %q; want the counts compared with the stable + baseline they were pooled from", r.Reason)
	}
	if diff := cmp.Diff([]router.Backend{{Version: "1.0.0", URL: "http://s", Weight: 100}}, sp.applied[len(sp.applied)-1].Backends); diff != "" {
		t.Errorf("split after the rollback (-want +got):\n%s", diff)
	}
}

func TestSplit(t *testing.T) {
	with, without := baselineSpec(), spec()
	for _, tt := range []struct {
		s                  Spec
		w                  int
		stable, base, cand int
	}{
		{with, 0, 100, 0, 0}, {with, 1, 98, 1, 1}, {with, 10, 80, 10, 10}, {with, 50, 0, 50, 50},
		{with, 75, 0, 25, 75}, {with, 100, 0, 0, 100}, {with, 120, 0, 0, 100}, {with, -5, 100, 0, 0},
		{without, 10, 90, 0, 10}, {without, 50, 50, 0, 50}, {without, 100, 0, 0, 100},
	} {
		st, b, c := tt.s.Split(tt.w)
		if st != tt.stable || b != tt.base || c != tt.cand || st+b+c != 100 {
			t.Errorf("Split(%d) with baseline %v = %d/%d/%d; want %d/%d/%d", tt.w, tt.s.HasBaseline(), st, b, c, tt.stable, tt.base, tt.cand)
		}
	}
}

func TestBaselineMustRunTheStableDigest(t *testing.T) {
	s := baselineSpec()
	s.Baseline = NewRelease("1.0.0", "sha256:other", "http://b")
	c, _, _, _ := setup(t, nil)
	if _, err := start(t, c, s); err == nil {
		t.Fatal("Start accepted a baseline of another digest")
	}
}

func TestDropBaselineJudgesAgainstStable(t *testing.T) {
	c, _, _, _ := setup(t, nil)
	r, err := start(t, c, baselineSpec())
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.DropBaseline(context.Background(), r.ID, "baseline gone after a restart")
	if err != nil {
		t.Fatal(err)
	}
	if got.HasBaseline() {
		t.Fatalf("baseline %+v kept", got.Baseline)
	}
	stored, err := c.Load(context.Background(), r.ID)
	if err != nil || stored.HasBaseline() || stored.reference() != "stable" {
		t.Fatalf("stored rollout %+v, %v; want it judged against stable", stored.Baseline, err)
	}
	if _, err := c.DropBaseline(context.Background(), r.ID, "again"); err != nil {
		t.Errorf("dropping twice: %v", err)
	}
}

// TestReference pools what the stable code serves for errors and takes latency,
// CPU and memory from the baseline alone.
func TestReference(t *testing.T) {
	h := func(n float64) analysis.Histogram {
		return analysis.Histogram{Bounds: []float64{0.1}, Counts: []float64{n}, Count: n}
	}
	stable := analysis.Series{Version: "1.0.0", Requests: 900, Errors: 9, LogErrors: 2, Latency: h(900), CPUSeconds: 5,
		Routes: map[string]analysis.RouteCounts{"GET /a": {Requests: 900, Errors: 9}}}
	base := analysis.Series{Version: "1.0.0", Requests: 50, Errors: 1, LogErrors: 1, Latency: h(50), CPUSeconds: 0.5, MemoryBytes: 1e7,
		Routes: map[string]analysis.RouteCounts{"GET /a": {Requests: 40, Errors: 1}, "GET /b": {Requests: 10}}}
	reads := Reads{Stable: stable, Baseline: base}
	without := spec()
	if diff := cmp.Diff(stable, without.Reference(reads)); diff != "" {
		t.Errorf("without a baseline (-want +got):\n%s", diff)
	}
	want := analysis.Series{Version: "1.0.0", Requests: 950, Errors: 10, LogErrors: 3, Latency: h(50), CPUSeconds: 0.5, MemoryBytes: 1e7,
		Routes: map[string]analysis.RouteCounts{"GET /a": {Requests: 940, Errors: 10}, "GET /b": {Requests: 10}}}
	if diff := cmp.Diff(want, baselineSpec().Reference(reads)); diff != "" {
		t.Errorf("with a baseline (-want +got):\n%s", diff)
	}
	// no traffic yet on either: an empty reference, never an error
	if got := baselineSpec().Reference(Reads{}); got.Requests != 0 || got.Routes != nil {
		t.Errorf("empty reads give %+v", got)
	}
}
