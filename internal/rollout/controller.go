package rollout

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/router"
	"github.com/slipway/slipway/internal/store"
)

// records is the part of the store a controller needs.
type records interface {
	Put(ctx context.Context, kind, id string, v any) error
	Get(ctx context.Context, kind, id string, v any) error
	Delete(ctx context.Context, kind, id string) error
	Append(ctx context.Context, e store.Event) (store.Event, error)
	Events(ctx context.Context, f store.Filter) ([]store.Event, error)
	NextSeq(ctx context.Context, name string) (int64, error)
}

// Splitter applies a traffic split; *router.Client is one.
type Splitter interface {
	Apply(ctx context.Context, cfg router.Config) (router.Config, error)
}

// Controller drives rollouts.
type Controller struct {
	Store records
	// Router returns the traffic Splitter in front of service in env.
	Router func(service, env string) Splitter
	// Metrics returns the provider that reads service's traffic in env.
	Metrics func(service, env string) analysis.Provider
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Out receives one human line per decision; may be nil.
	Out io.Writer
}

const kind = "rollout"

func (c *Controller) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Controller) printf(format string, args ...any) {
	if c.Out != nil {
		fmt.Fprintf(c.Out, format+"\n", args...)
	}
}

// NewID reserves the id of a rollout to Start, so a caller can record it first.
func (c *Controller) NewID(ctx context.Context) (string, error) {
	n, err := c.Store.NextSeq(ctx, kind)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("ro-%d", n), nil
}

// Start persists a new rollout with the id from NewID; its first pass applies the
// first step. Starting an id that exists returns the stored rollout.
func (c *Controller) Start(ctx context.Context, id string, s Spec) (*Rollout, error) {
	if err := validate(s); err != nil {
		return nil, fmt.Errorf("start rollout of %s %s in %s: %w", s.Service, s.Candidate.Version, s.Env, err)
	}
	if r, err := c.Load(ctx, id); err == nil {
		return r, nil
	}
	r := &Rollout{ID: id, Spec: s, Phase: Progressing, Weight: s.Steps[0], StartedAt: c.now()}
	if err := c.save(ctx, r); err != nil {
		return nil, err
	}
	c.event(ctx, r, "rollout.started", fmt.Sprintf("rollout %s: %s -> %s in %s (%s: steps %v, bake %s; judged against %s)",
		r.ID, s.Stable.Version, s.Candidate.Version, s.Env, s.Profile, s.Steps, s.Bake, s.ComparedWith()), map[string]any{
		"from_version": s.Stable.Version, "to_version": s.Candidate.Version, "steps": s.Steps,
		"profile": s.Profile, "bake_s": s.Bake.Seconds(), "checks": s.Criteria.Checks, "min_requests": s.Criteria.MinRequests,
		"compared_with": s.reference(), "baseline": s.Baseline.Instances(),
	})
	c.printf("rollout %s: %s -> %s in %s, %s profile, steps %s, bake %s per step, judged against %s",
		r.ID, s.Stable.Version, s.Candidate.Version, s.Env, s.Profile, percents(s.Steps), s.Bake, s.ComparedWith())
	return r, nil
}

// Load reads a rollout back from the store.
func (c *Controller) Load(ctx context.Context, id string) (*Rollout, error) {
	var r Rollout
	if err := c.Store.Get(ctx, kind, id, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Run reconciles the rollout every Interval until it ends or ctx is done.
func (c *Controller) Run(ctx context.Context, r *Rollout) (*Rollout, error) {
	tick := time.NewTicker(r.Interval)
	defer tick.Stop()
	for {
		if err := c.Reconcile(ctx, r); err != nil {
			return r, err
		}
		if r.Phase.Terminal() {
			return r, nil
		}
		select {
		case <-ctx.Done():
			return r, ctx.Err()
		case <-tick.C:
		}
	}
}

// Reconcile is one idempotent pass: carry out a queued command, apply the desired
// weights, then judge, then act.
func (c *Controller) Reconcile(ctx context.Context, r *Rollout) error {
	if err := c.applyCommand(ctx, r); err != nil {
		return err
	}
	if err := c.applyWeights(ctx, r); err != nil {
		return err
	}
	if r.Phase.Terminal() {
		return c.recordFinish(ctx, r)
	}
	if r.Phase == Paused {
		return nil
	}
	if r.StepStarted.IsZero() {
		return c.beginStep(ctx, r)
	}
	now, err := c.read(ctx, r)
	if err != nil {
		return c.noData(ctx, r, err)
	}
	elapsed := c.now().Sub(r.StepStarted)
	a, err := Assess(r.Spec, r.Seq, Diff(now, r.Prev), Diff(now, r.StepStart), elapsed)
	if err != nil {
		return c.noData(ctx, r, err)
	}
	step, v, res, decision, why := a.Step, a.Verdict, a.Result, a.Decision, a.Reason
	r.NoData, r.Seq, r.LastSeq, r.Prev = 0, a.Seq, res, now
	r.Last, r.Routes = v, step.Routes
	c.event(ctx, r, "rollout.verdict", fmt.Sprintf("%d%% after %s: %s, %s", r.Weight, elapsed.Round(time.Second), decision, why),
		verdictData(r, v, res, decision, why, elapsed))
	c.printf("  %3d%%  %5s  %-12s %s | e=%.3g of %.0f", r.Weight, elapsed.Round(time.Second), decision, why, res.EValue, res.Threshold)
	switch decision {
	case analysis.Fail:
		r.CandidateErrors += step.Errors
		return c.finish(ctx, r, RolledBack, why)
	case analysis.Pass:
		r.CandidateErrors += step.Errors
		return c.advance(ctx, r)
	}
	return c.save(ctx, r)
}

// read queries every track's cumulative series, in one scrape where the provider
// can (analysis.BatchProvider): candidate, stable and baseline then cover the same
// time exactly.
func (c *Controller) read(ctx context.Context, r *Rollout) (Reads, error) {
	qs := []analysis.Query{
		{Service: r.Service, Env: r.Env, Version: r.Candidate.Version},
		{Service: r.Service, Env: r.Env, Version: r.Stable.Version},
	}
	if r.HasBaseline() {
		qs = append(qs, analysis.Query{Service: r.Service, Env: r.Env, Version: r.Baseline.Version, Track: analysis.TrackBaseline})
	}
	s, err := analysis.QueryAll(ctx, c.Metrics(r.Service, r.Env), qs...)
	if err != nil {
		return Reads{}, err
	}
	if len(s) != len(qs) {
		return Reads{}, fmt.Errorf("metrics provider returned %d series for %d queries", len(s), len(qs))
	}
	reads := Reads{Candidate: s[0], Stable: s[1]}
	if len(s) > 2 {
		reads.Baseline = s[2]
	}
	return reads, nil
}

// beginStep reads the candidate's counters at the start of a step.
func (c *Controller) beginStep(ctx context.Context, r *Rollout) error {
	base, err := c.read(ctx, r)
	if err != nil {
		return c.noData(ctx, r, err)
	}
	r.NoData = 0
	r.StepStart, r.Prev = base, base
	r.Seq = r.Seq.NewStep()
	r.StepStarted = c.now()
	if err := c.save(ctx, r); err != nil {
		return err
	}
	c.event(ctx, r, "rollout.step", fmt.Sprintf("%s %s takes %d%% of traffic in %s", r.Service, r.Candidate.Version, r.Weight, r.Env),
		map[string]any{"weight": r.Weight, "step": r.Step + 1, "of": len(r.Steps)})
	c.printf("  %3d%%  traffic to %s (step %d of %d)", r.Weight, r.Candidate.Version, r.Step+1, len(r.Steps))
	return nil
}

// advance moves to the next step, or promotes at 100%.
func (c *Controller) advance(ctx context.Context, r *Rollout) error {
	r.Step++
	if r.Step >= len(r.Steps) || r.Steps[r.Step] >= 100 {
		r.Step = len(r.Steps) - 1
		return c.finish(ctx, r, Promoted, "every step held: "+r.Last.Reason)
	}
	r.Weight = r.Steps[r.Step]
	r.StepStarted = time.Time{}
	r.StepStart = Reads{}
	if err := c.save(ctx, r); err != nil {
		return err
	}
	if err := c.applyWeights(ctx, r); err != nil {
		return err
	}
	return c.beginStep(ctx, r)
}

// finish ends the rollout: the decision is persisted first, then traffic moves.
func (c *Controller) finish(ctx context.Context, r *Rollout, p Phase, reason string) error {
	r.Phase = p
	r.Reason = reason
	r.FinishedAt = c.now()
	r.Weight = 0
	if p == Promoted {
		r.Weight = 100
	}
	if err := c.save(ctx, r); err != nil {
		return err
	}
	if err := c.applyWeights(ctx, r); err != nil {
		return err
	}
	return c.recordFinish(ctx, r)
}

// finishKind is the journal event that records how a rollout ended.
func finishKind(p Phase) string {
	switch p {
	case RolledBack:
		return "rollout.rolledback"
	case Promoted:
		return "rollout.promoted"
	}
	return "rollout." + string(p)
}

// recordFinish writes the event that says how the rollout ended, unless the journal
// has it already: a control plane killed between saving the end and writing the
// event writes it when it resumes, so the incident and the post-mortem find it.
func (c *Controller) recordFinish(ctx context.Context, r *Rollout) error {
	evs, err := c.Store.Events(ctx, store.Filter{Rollout: r.ID, Kinds: []string{finishKind(r.Phase)}})
	if err != nil {
		return fmt.Errorf("rollout %s: %w", r.ID, err)
	}
	if len(evs) > 0 {
		return nil
	}
	decision := analysis.Fail
	if r.Phase == Promoted {
		decision = analysis.Pass
	}
	data := verdictData(r, r.Last, r.LastSeq, decision, r.Reason, r.FinishedAt.Sub(r.StepStarted))
	data["reason"] = r.Reason
	data["stable_version"] = r.Stable.Version
	data["candidate_errors"] = r.CandidateErrors
	data["duration_s"] = r.FinishedAt.Sub(r.StartedAt).Seconds()
	msg := fmt.Sprintf("%s %s: %s", r.Phase, r.Candidate.Version, r.Reason)
	switch r.Phase {
	case RolledBack:
		msg = fmt.Sprintf("rolled back %s %s in %s: %s; 100%% of traffic on %s", r.Service, r.Candidate.Version, r.Env, r.Reason, r.Stable.Version)
		c.printf("  ROLLBACK %s -> 100%% %s: %s", r.Candidate.Version, r.Stable.Version, r.Reason)
	case Promoted:
		msg = fmt.Sprintf("promoted %s %s in %s", r.Service, r.Candidate.Version, r.Env)
		c.printf("  100%%  promoted %s", r.Candidate.Version)
	}
	_, err = c.Store.Append(ctx, store.Event{Kind: finishKind(r.Phase), Time: r.FinishedAt, Service: r.Service, Env: r.Env,
		Version: r.Candidate.Version, Digest: r.Candidate.Digest, Rollout: r.ID, Message: msg, Data: data})
	if err != nil {
		return fmt.Errorf("rollout %s: record its end: %w", r.ID, err)
	}
	return nil
}

func (c *Controller) pause(ctx context.Context, r *Rollout, reason string) error {
	r.Phase = Paused
	r.Reason = reason
	if err := c.save(ctx, r); err != nil {
		return err
	}
	c.event(ctx, r, "rollout.paused", fmt.Sprintf("paused %s %s in %s at %d%%: %s", r.Service, r.Candidate.Version, r.Env, r.Weight, reason),
		map[string]any{"weight": r.Weight, "reason": reason})
	c.printf("  PAUSED at %d%%: %s", r.Weight, reason)
	return nil
}

// noDataLimit is how many consecutive failed reads end in OnNoData.
const noDataLimit = 3

// noData handles a provider failure: never promote; after noDataLimit reads, pause or roll back.
func (c *Controller) noData(ctx context.Context, r *Rollout, err error) error {
	r.NoData++
	c.event(ctx, r, "rollout.nodata", fmt.Sprintf("metrics unavailable for %s %s (%d of %d): %v", r.Service, r.Candidate.Version, r.NoData, noDataLimit, err),
		map[string]any{"weight": r.Weight, "error": err.Error(), "attempt": r.NoData})
	c.printf("  %3d%%  no data (%d/%d): %v", r.Weight, r.NoData, noDataLimit, err)
	if r.NoData < noDataLimit {
		return c.save(ctx, r)
	}
	reason := fmt.Sprintf("metrics unavailable %d times in a row: %v", r.NoData, err)
	if r.OnNoData == NoDataPause {
		return c.pause(ctx, r, reason)
	}
	return c.finish(ctx, r, RolledBack, reason)
}

// applyWeights makes the router carry r.Weight percent to the candidate, as much
// to the baseline (Spec.Split) and the rest to the stable version. Backends with no
// weight are left out, so a finished rollout sends nothing to its baseline.
func (c *Controller) applyWeights(ctx context.Context, r *Rollout) error {
	var backends []router.Backend
	stable, baseline, cand := r.Split(r.Weight)
	if stable > 0 {
		backends = append(backends, router.Spread(r.Stable.Version, stable, r.Stable.Instances()...)...)
	}
	if baseline > 0 {
		bs := router.Spread(r.Baseline.Version, baseline, r.Baseline.Instances()...)
		for i := range bs {
			bs[i].Track = router.TrackBaseline
		}
		backends = append(backends, bs...)
	}
	if cand > 0 {
		backends = append(backends, router.Spread(r.Candidate.Version, cand, r.Candidate.Instances()...)...)
	}
	_, err := c.Router(r.Service, r.Env).Apply(ctx, router.Config{Service: r.Service, Env: r.Env, Backends: backends})
	if err != nil {
		return fmt.Errorf("rollout %s: set %s to %d%%: %w", r.ID, r.Candidate.Version, r.Weight, err)
	}
	return nil
}
