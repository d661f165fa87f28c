package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slipway/slipway/internal/runtime"
	"github.com/slipway/slipway/internal/store"
)

// Restore makes env's recorded deployment serve again after a restart, a reboot or
// StopAll (slipway down, then up). Recorded instances - current, warm and pending -
// whose own process still runs and answers are adopted as they are; the others are
// replaced by new instances of the same digest, as many as the environment's
// replicas. A warm version whose window has passed is stopped instead. A pending
// rollout's baseline is adopted when all of it answers; otherwise it is stopped and
// the rollout judges against the stable version from then on.
//
// Without a pending candidate the router is given 100% on the current version.
// With one, weights are left alone: the rollout's record is told where restarted
// instances answer now (rollout.Controller.Relocate) and Resume continues it, its
// controller applying the weights. Restarts are journaled as deploy.restored.
// Restore is safe to repeat. Without a deployment record it returns an error
// wrapping store.ErrNotFound.
func (d *Deployer) Restore(ctx context.Context, envName string) (Deployment, error) {
	env, ok := d.Config.Env(envName)
	if !ok {
		return Deployment{}, fmt.Errorf("restore %s: no environment %q in slipway.yaml", d.Config.Service, envName)
	}
	cur, err := d.Current(ctx, envName)
	if err != nil {
		return Deployment{}, fmt.Errorf("restore %s in %s: %w", d.Config.Service, envName, err)
	}
	var restarted []runtime.Instance
	revive := func(a Artifact, ins []runtime.Instance, n int) ([]runtime.Instance, bool, error) {
		out, started, err := d.revive(ctx, envName, a, ins, n)
		if err != nil {
			return ins, false, fmt.Errorf("restore %s %s in %s: %w", a.Service, a.Version, envName, err)
		}
		restarted = append(restarted, started...)
		return out, len(started) > 0, nil
	}
	n := replicas(env)
	stableMoved := false
	if cur.Instances, stableMoved, err = revive(cur.artifact(), cur.Instances, n); err != nil {
		return cur, d.saveRevived(ctx, cur, restarted, err)
	}
	if w := cur.Warm; w != nil {
		if !d.now().Before(w.WarmUntil) {
			cur.Retired = append(cur.Retired, w.Instances...)
			cur.Warm = nil
		} else if w.Instances, _, err = revive(Artifact{Service: cur.Service, Version: w.Version, Digest: w.Digest}, w.Instances, max(len(w.Instances), 1)); err != nil {
			return cur, d.saveRevived(ctx, cur, restarted, err)
		}
	}
	if err := d.restoreBaseline(ctx, &cur); err != nil {
		return cur, d.saveRevived(ctx, cur, restarted, err)
	}
	if p := cur.Pending; p != nil {
		ins, moved, err := revive(Artifact{Service: cur.Service, Version: p.Version, Digest: p.Digest}, p.Instances, n)
		p.setInstances(ins)
		if err != nil {
			return cur, d.saveRevived(ctx, cur, restarted, err)
		}
		if err := d.relocate(ctx, cur, p.Version, ins, moved); err != nil {
			return cur, d.saveRevived(ctx, cur, restarted, err)
		}
		if err := d.relocate(ctx, cur, cur.Version, cur.Instances, stableMoved); err != nil {
			return cur, d.saveRevived(ctx, cur, restarted, err)
		}
	}
	if err := d.saveRevived(ctx, cur, restarted, nil); err != nil {
		return cur, err
	}
	if cur.Pending == nil {
		if _, err := d.Router(cur.Service, envName).Apply(ctx, serving(cur.Service, envName, cur.Version, cur.Instances)); err != nil {
			return cur, fmt.Errorf("restore %s %s in %s: route traffic: %w (run restore again once the router answers)", cur.Service, cur.Version, envName, err)
		}
	}
	if cur, err = d.retire(ctx, cur); err != nil {
		return cur, fmt.Errorf("restore %s in %s: %w", cur.Service, envName, err)
	}
	if len(restarted) > 0 {
		var what []string
		for _, in := range restarted {
			what = append(what, fmt.Sprintf("%s at %s", in.Version, in.URL))
		}
		d.event(ctx, envName, cur.artifact(), "deploy.restored",
			fmt.Sprintf("%s restored in %s: restarted %s", cur.Service, envName, strings.Join(what, ", ")),
			map[string]any{"restarted": what})
		d.printf("restore %s in %s: restarted %s", cur.Service, envName, strings.Join(what, ", "))
	}
	return cur, nil
}

// saveRevived records cur, which points at the instances started so far, so that
// none is left without a record, and returns cause joined with any failure.
func (d *Deployer) saveRevived(ctx context.Context, cur Deployment, started []runtime.Instance, cause error) error {
	if len(started) == 0 && cause != nil {
		return cause
	}
	if err := d.put(context.WithoutCancel(ctx), cur); err != nil {
		return errors.Join(cause, fmt.Errorf("restore %s in %s: %w", cur.Service, cur.Env, err))
	}
	return cause
}

// revive keeps the instances of ins that still answer, stops the others (a process
// that merely reuses a recorded PID is left alone) and starts new ones of a up to n.
func (d *Deployer) revive(ctx context.Context, env string, a Artifact, ins []runtime.Instance, n int) (out, started []runtime.Instance, err error) {
	for _, in := range ins {
		if d.Target.Alive(ctx, in) {
			out = append(out, in)
			continue
		}
		if err := d.Target.Stop(ctx, in); err != nil {
			return ins, nil, fmt.Errorf("stop unresponsive instance %s (pid %d): %w", in.URL, in.PID, err)
		}
	}
	if len(out) >= n {
		return out, nil, nil
	}
	started, err = d.start(ctx, env, a, n-len(out), false)
	if err != nil {
		return ins, nil, err
	}
	return append(out, started...), started, nil
}

// relocate tells the pending rollout where version's instances answer now. A
// rollout that was never stored is left to Resume, which undoes it.
func (d *Deployer) relocate(ctx context.Context, cur Deployment, version string, ins []runtime.Instance, moved bool) error {
	if !moved {
		return nil
	}
	_, err := d.Rollouts.Relocate(ctx, cur.Pending.Rollout, version, urls(ins))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("restore %s in %s: %w", cur.Service, cur.Env, err)
	}
	return nil
}

// StopAll stops every instance recorded in every environment - current, warm,
// pending with its baseline, and retired - for slipway down. The records stay: Restore brings the
// deployments back.
func (d *Deployer) StopAll(ctx context.Context) error {
	var errs []error
	for _, env := range d.Config.Environments {
		dep, err := d.Current(ctx, env.Name)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("stop %s in %s: %w", d.Config.Service, env.Name, err))
			continue
		}
		if err := d.stop(ctx, dep.all()); err != nil {
			errs = append(errs, err)
		}
		if len(dep.all()) > 0 {
			d.printf("stopped %s in %s (%d instances)", dep.Service, env.Name, len(dep.all()))
		}
	}
	return errors.Join(errs...)
}
