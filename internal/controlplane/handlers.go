package controlplane

import (
	"context"
	"errors"
	"fmt"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/delivery"
	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/store"
)

// handle carries out one request.
func (s *service) handle(ctx context.Context, id int64, r Request) Finished {
	switch r.Op {
	case OpPromote:
		outcome, err := s.promote(ctx, r)
		return finished(outcome, err)
	case OpUndo:
		outcome, err := s.undo(ctx, r)
		return finished(outcome, err)
	case OpRun:
		return s.runNow(ctx, r)
	case OpIncident:
		return s.incidentOp(ctx, r)
	}
	return Finished{Error: fmt.Sprintf("unknown request %q: use promote, undo, run or incident", r.Op)}
}

func finished(outcome string, err error) Finished {
	if err != nil {
		return Finished{Outcome: outcome, Error: err.Error()}
	}
	return Finished{Outcome: outcome}
}

// promote deploys release r.Version to r.Env: the click of a manual promotion.
// The environment before must run the same digest green; where r.Env has a
// rollout strategy it goes out as a canary.
func (s *service) promote(ctx context.Context, r Request) (string, error) {
	var rel delivery.Release
	if err := s.plane.Store.Get(ctx, "release", s.name+"/"+r.Version, &rel); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", fmt.Errorf("promote %s: no release %s of %s (releases are made from %s; slipway status lists them)", r.Version, r.Version, s.name, s.main)
		}
		return "", err
	}
	cfg := rel.Config
	if cfg == nil {
		cfg = s.plane.config()
	}
	if err := Gate(ctx, s.plane.Deployer, cfg, rel, r.Env); err != nil {
		return "", err
	}
	if err := s.busy(ctx, r.Env); err != nil {
		return "", fmt.Errorf("promote %s to %s: %w", r.Version, r.Env, err)
	}
	defer s.lockEnv(r.Env)()
	if err := s.plane.SetConfig(ctx, cfg); err != nil {
		return "", err
	}
	res, err := s.deployer(cfg).Deploy(ctx, r.Env, deploy.Artifact{Service: s.name, Version: rel.Version, Digest: rel.Artifact.Digest},
		deploy.Options{Hotfix: rel.Hotfix, Force: r.Force, Reason: r.Reason})
	if err != nil {
		return "", err
	}
	if res.Outcome == deploy.RolledBack {
		return string(res.Outcome), fmt.Errorf("promote %s to %s: rolled back (%s)", r.Version, r.Env, res.Rollout.Reason)
	}
	if res.Outcome == deploy.Promoted || res.Outcome == deploy.Deployed {
		s.plane.resolveFixed(ctx, r.Env, rel.Version)
		s.redraftIncidents(ctx)
	}
	return string(res.Outcome), nil
}

// Gate checks that the environment before env runs rel's artifact with its smoke
// tests passed: promotion carries the same digest forward, never around a red stage.
func Gate(ctx context.Context, d *deploy.Deployer, cfg *config.Config, rel delivery.Release, env string) error {
	for i, e := range cfg.Environments {
		if e.Name != env {
			continue
		}
		if i == 0 {
			return nil
		}
		prev := cfg.Environments[i-1].Name
		dep, err := d.Current(ctx, prev)
		if err != nil || dep.Digest != rel.Artifact.Digest || !dep.SmokeOK {
			running := "nothing"
			if err == nil {
				running = dep.Version
			}
			return fmt.Errorf("promote %s to %s: %s must run it green first (it runs %s)", rel.Version, env, prev, running)
		}
		return nil
	}
	return fmt.Errorf("promote %s: no environment %q in slipway.yaml", rel.Version, env)
}

// undo switches env back to the version kept warm after its last promotion.
func (s *service) undo(ctx context.Context, r Request) (string, error) {
	if err := s.busy(ctx, r.Env); err != nil {
		return "", fmt.Errorf("undo in %s: %w", r.Env, err)
	}
	defer s.lockEnv(r.Env)()
	dep, err := s.deployer(s.plane.config()).Undo(ctx, r.Env, r.Reason)
	if err != nil {
		return "", err
	}
	return "undone: " + dep.Version + " serves 100%", nil
}

// runNow runs the pipeline of a branch (or a commit, as a branch pipeline) now.
// A run of the main branch goes through the release queue like a push.
func (s *service) runNow(ctx context.Context, r Request) Finished {
	heads, err := s.heads(ctx)
	if err != nil {
		return Finished{Error: err.Error()}
	}
	branch, commit := r.Ref, heads[r.Ref]
	if commit == "" {
		c, err := s.repo.ResolveRef(ctx, r.Ref)
		if err != nil {
			return Finished{Error: fmt.Sprintf("run %s: no branch or commit %q in %s (%v)", r.Ref, r.Ref, s.repo.Dir, err)}
		}
		commit = c
	}
	if branch == s.main {
		s.mainQ <- commit
		return Finished{Outcome: fmt.Sprintf("main pipeline of %s queued; a release follows when it passes", short(commit))}
	}
	_, res, ok := s.pipelineRun(ctx, branch, commit)
	if !ok {
		return Finished{Run: res.Run, Error: fmt.Sprintf("pipeline %s @%s did not pass (slipway run logs %s)", branch, short(commit), res.Run)}
	}
	cached := 0
	for _, st := range res.Steps {
		if st.Cached {
			cached++
		}
	}
	return Finished{Run: res.Run, Outcome: fmt.Sprintf("pipeline %s @%s passed: %d steps, %d from the cache (run %s)", branch, short(commit), len(res.Steps), cached, res.Run)}
}

// redraftIncidents renders again the post-mortem drafts of the service's incidents,
// so they include what happened since (the fix promoted).
func (s *service) redraftIncidents(ctx context.Context) {
	incs, err := s.plane.Incidents.List(ctx)
	if err != nil {
		return
	}
	for _, in := range incs {
		if in.Service == s.name && !in.Status.Terminal() {
			if _, err := s.plane.DraftPostMortem(ctx, in.ID); err != nil {
				s.log.Warn("redraft post-mortem", "incident", in.ID, "err", err)
			}
		}
	}
}
