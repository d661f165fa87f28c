package deploy

import (
	"context"
	"errors"
	"fmt"
)

// Undo sends env's traffic back to the version kept warm after the last promotion:
// a late rollback, instant because the previous instances still run. The undone
// version is kept warm in turn, for the same window.
func (d *Deployer) Undo(ctx context.Context, envName, reason string) (Deployment, error) {
	env, ok := d.Config.Env(envName)
	if !ok {
		return Deployment{}, fmt.Errorf("undo in %s: no such environment in slipway.yaml", envName)
	}
	cur, err := d.Current(ctx, envName)
	if err != nil {
		return Deployment{}, fmt.Errorf("undo in %s: %w", envName, err)
	}
	if cur.Pending != nil {
		return cur, fmt.Errorf("undo in %s: rollout %s of %s is under way; abort it instead", envName, cur.Pending.Rollout, cur.Pending.Version)
	}
	w := cur.Warm
	if w == nil || len(w.Instances) == 0 {
		return cur, fmt.Errorf("undo in %s: no previous version is kept warm (it stays for keep-warm after a promotion)", envName)
	}
	if dead, ok := d.firstDead(ctx, w.Instances); ok {
		return cur, fmt.Errorf("undo in %s: previous version %s no longer answers at %s", envName, w.Version, dead.URL)
	}
	keep := d.now()
	if env.Rollout != nil {
		keep = d.now().Add(env.Rollout.KeepWarm.D())
	}
	// The warm version becomes current and the undone one warm in its place, so no
	// instance changes hands but retired ones.
	next := Deployment{Service: cur.Service, Env: envName, Version: w.Version, Digest: w.Digest, Instances: w.Instances,
		SmokeOK: true, DeployedAt: d.now(), Warm: &Warm{Version: cur.Version, Digest: cur.Digest, Instances: cur.Instances, WarmUntil: keep},
		Retired: cur.Retired}
	if err := d.put(ctx, next); err != nil {
		return cur, fmt.Errorf("undo in %s: %w", envName, err)
	}
	if _, err := d.Router(cur.Service, envName).Apply(ctx, serving(cur.Service, envName, w.Version, w.Instances)); err != nil {
		err = fmt.Errorf("undo in %s: switch traffic to %s: %w; %s still serves", envName, w.Version, err, cur.Version)
		if perr := d.put(context.WithoutCancel(ctx), cur); perr != nil {
			err = errors.Join(err, perr)
		}
		return cur, err
	}
	if next, err = d.retire(ctx, next); err != nil {
		return next, fmt.Errorf("undo in %s: %w", envName, err)
	}
	d.event(ctx, envName, Artifact{Service: cur.Service, Version: cur.Version, Digest: cur.Digest}, "deploy.undone",
		fmt.Sprintf("%s %s undone in %s: 100%% back on warm %s (%s)", cur.Service, cur.Version, envName, w.Version, orDash(reason)),
		map[string]any{"from": cur.Version, "to": w.Version, "reason": reason})
	d.printf("undo %s in %s: 100%% on %s", cur.Version, envName, w.Version)
	return next, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
