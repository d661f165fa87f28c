package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/runtime"
	"github.com/slipway/slipway/internal/store"
)

// rollout runs a canary from the current version to the new instances. The
// candidate and the rollout id are recorded on the deployment before the rollout
// starts, so Resume can finish it after a crash.
func (d *Deployer) rollout(ctx context.Context, env *config.Environment, cur Deployment, a Artifact, insts []runtime.Instance, o Options, res Result) (Result, error) {
	var base []runtime.Instance
	abandon := func(err error) (Result, error) {
		d.stop(ctx, append(slices.Clone(insts), base...))
		return res, d.fail(ctx, env.Name, a, fmt.Errorf("deploy %s %s to %s: %w", a.Service, a.Version, env.Name, err))
	}
	spec, err := rolloutSpec(d.Config.Service, env, o.Hotfix)
	if err != nil {
		return abandon(err)
	}
	spec.Stable = rollout.NewRelease(cur.Version, cur.Digest, urls(cur.Instances)...)
	spec.Candidate = rollout.NewRelease(a.Version, a.Digest, urls(insts)...)
	id, err := d.Rollouts.NewID(ctx)
	if err != nil {
		return abandon(err)
	}
	if base = d.startBaseline(ctx, env, cur, a, len(insts)); len(base) > 0 {
		spec.Baseline = rollout.NewRelease(cur.Version, cur.Digest, urls(base)...)
	}
	cur.Pending = &Pending{Version: a.Version, Digest: a.Digest, Hotfix: o.Hotfix, Rollout: id, Baseline: base}
	cur.Pending.setInstances(insts)
	if err := d.put(ctx, cur); err != nil {
		return abandon(err)
	}
	r, err := d.Rollouts.Start(ctx, id, spec)
	if err != nil {
		res, err = abandon(err)
		cur.Pending = nil
		if perr := d.put(context.WithoutCancel(ctx), cur); perr != nil {
			err = errors.Join(err, perr)
		}
		return res, err
	}
	return d.runRollout(ctx, env, cur, r, res)
}

// runRollout drives r to its end and settles the deployment accordingly.
func (d *Deployer) runRollout(ctx context.Context, env *config.Environment, cur Deployment, r *rollout.Rollout, res Result) (Result, error) {
	r, err := d.Rollouts.Run(ctx, r)
	res.Rollout = r
	if err != nil {
		return res, fmt.Errorf("deploy %s %s to %s: rollout %s: %w", d.Config.Service, r.Candidate.Version, env.Name, r.ID, err)
	}
	res.Outcome, err = d.settle(ctx, env, cur, r)
	return res, err
}

// settle records the end of a rollout on the deployment: the candidate becomes the
// deployment (the stable kept warm, the version warm before it stopped), or is
// stopped, and a rolled back digest is quarantined in the environment.
func (d *Deployer) settle(ctx context.Context, env *config.Environment, cur Deployment, r *rollout.Rollout) (Outcome, error) {
	p := cur.Pending
	a := Artifact{Service: cur.Service, Version: p.Version, Digest: p.Digest}
	switch r.Phase {
	case rollout.Promoted:
		keep := env.Rollout.KeepWarm.D()
		dep := Deployment{Service: cur.Service, Env: env.Name, Version: p.Version, Digest: p.Digest,
			Instances: p.Instances, SmokeOK: true, DeployedAt: d.now(), Rollout: r.ID,
			Warm:    &Warm{Version: cur.Version, Digest: cur.Digest, Instances: cur.Instances, WarmUntil: d.now().Add(keep)},
			Retired: without(cur.all(), append(slices.Clone(p.Instances), cur.Instances...))}
		if err := d.put(ctx, dep); err != nil {
			return "", err
		}
		if _, err := d.retire(ctx, dep); err != nil {
			return "", err
		}
		d.event(ctx, env.Name, a, "deploy.finished", fmt.Sprintf("%s %s promoted in %s; %s kept warm for %s", a.Service, a.Version, env.Name, cur.Version, keep),
			map[string]any{"outcome": string(Promoted), "previous": cur.Version, "rollout": r.ID, "warm_until": dep.Warm.WarmUntil})
		return Promoted, nil
	case rollout.RolledBack, rollout.Aborted:
		outcome := RolledBack
		if r.Phase == rollout.Aborted {
			outcome = Aborted
		}
		if outcome == RolledBack {
			if err := d.quarantine(ctx, env.Name, p, r); err != nil {
				return "", err
			}
			if d.RolledBack != nil {
				if err := d.RolledBack(ctx, r); err != nil {
					return "", err
				}
			}
		}
		cur.Pending = nil
		cur.Retired = append(cur.Retired, p.Instances...)
		cur.Retired = append(cur.Retired, p.Baseline...)
		if err := d.put(ctx, cur); err != nil {
			return "", err
		}
		if _, err := d.retire(ctx, cur); err != nil {
			return "", err
		}
		d.event(ctx, env.Name, a, "deploy.finished", fmt.Sprintf("%s %s %s in %s; %s serves 100%%", a.Service, a.Version, outcome, env.Name, cur.Version),
			map[string]any{"outcome": string(outcome), "previous": cur.Version, "rollout": r.ID, "reason": r.Reason})
		return outcome, nil
	default:
		return Paused, nil
	}
}

// Resume finishes what a previous control plane left, in every environment in
// turn (see ResumeEnv).
func (d *Deployer) Resume(ctx context.Context) ([]Result, error) {
	var results []Result
	for _, env := range d.Config.Environments {
		res, ok, err := d.ResumeEnv(ctx, env.Name)
		if ok {
			results = append(results, res)
		}
		if err != nil {
			return results, err
		}
	}
	return results, nil
}

// ResumeEnv finishes what a previous control plane left in env: retired instances
// are stopped, and a pending candidate has its rollout run to the end and settled.
// A rollout that never got stored is undone: its candidate is stopped and the
// stable keeps all traffic. ok reports whether there was a rollout to finish.
func (d *Deployer) ResumeEnv(ctx context.Context, envName string) (res Result, ok bool, err error) {
	env, found := d.Config.Env(envName)
	if !found {
		return res, false, fmt.Errorf("resume in %s: no such environment in slipway.yaml", envName)
	}
	cur, err := d.Current(ctx, env.Name)
	if errors.Is(err, store.ErrNotFound) {
		return res, false, nil
	}
	if err != nil {
		return res, false, err
	}
	// Instances retired just before the previous control plane stopped.
	if cur, err = d.retire(ctx, cur); err != nil {
		return res, false, err
	}
	if cur.Pending == nil || env.Rollout == nil {
		return res, false, nil
	}
	res = Result{Env: env.Name, Version: cur.Pending.Version, Instance: cur.Pending.Instance, Instances: cur.Pending.Instances}
	r, err := d.Rollouts.Load(ctx, cur.Pending.Rollout)
	if errors.Is(err, store.ErrNotFound) {
		if err := d.undo(ctx, cur); err != nil {
			return res, true, err
		}
		res.Outcome = Aborted
		return res, true, nil
	}
	if err != nil {
		return res, false, err
	}
	d.printf("resume rollout %s of %s %s in %s (%s at %d%%)", r.ID, cur.Service, r.Candidate.Version, env.Name, r.Phase, r.Weight)
	res, err = d.runRollout(ctx, env, cur, r, res)
	return res, true, err
}

// undo stops a candidate whose rollout never started and puts all traffic on the stable.
func (d *Deployer) undo(ctx context.Context, cur Deployment) error {
	_, err := d.Router(cur.Service, cur.Env).Apply(ctx, serving(cur.Service, cur.Env, cur.Version, cur.Instances))
	if err != nil {
		return fmt.Errorf("undo %s in %s: %w", cur.Pending.Version, cur.Env, err)
	}
	a := Artifact{Service: cur.Service, Version: cur.Pending.Version, Digest: cur.Pending.Digest}
	cur.Retired = append(cur.Retired, cur.Pending.Instances...)
	cur.Retired = append(cur.Retired, cur.Pending.Baseline...)
	cur.Pending = nil
	if err := d.put(ctx, cur); err != nil {
		return err
	}
	if _, err := d.retire(ctx, cur); err != nil {
		return err
	}
	d.event(ctx, cur.Env, a, "deploy.failed", fmt.Sprintf("%s %s in %s: interrupted before its rollout started; %s keeps 100%%", a.Service, a.Version, cur.Env, cur.Version), nil)
	return nil
}

// RolloutSpec is the rollout a change to env takes, as a deploy starts it: steps,
// bake, interval, the checks and the sequential judge from the environment's
// rollout (the hotfix profile when hotfix is set). The stable and candidate releases
// are left for the caller. bench/detection replays the decision through it.
func RolloutSpec(service string, env *config.Environment, hotfix bool) (rollout.Spec, error) {
	if env == nil || env.Rollout == nil {
		return rollout.Spec{}, fmt.Errorf("rollout spec for %s: the environment has no rollout", service)
	}
	return rolloutSpec(service, env, hotfix)
}
