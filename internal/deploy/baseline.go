package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/runtime"
	"github.com/slipway/slipway/internal/store"
)

// startBaseline starts a baseline for a candidate of n instances: n fresh
// instances of the stable version cur runs (same digest), at the same moment as the
// candidate, so that the rollout compares two processes of the same age under the
// same load. It returns none when the rollout disables the baseline, when there is
// no stable instance to copy, when the machine has no room for it (Deployer.Room),
// or when the baseline cannot start (a busy or full machine): the rollout then
// judges against the stable version, and the journal says why.
func (d *Deployer) startBaseline(ctx context.Context, env *config.Environment, cur Deployment, candidate Artifact, n int) []runtime.Instance {
	if env.Rollout == nil || !env.Rollout.RunsBaseline() || cur.Digest == "" || len(cur.Instances) == 0 || n < 1 {
		return nil
	}
	room := d.Room
	if room == nil {
		room = MemoryRoom
	}
	err := room(cur.Instances, n)
	var ins []runtime.Instance
	if err == nil {
		ins, err = d.start(ctx, env.Name, cur.artifact(), n, false)
	}
	if err != nil {
		d.event(ctx, env.Name, candidate, "deploy.baseline",
			fmt.Sprintf("%s %s in %s: no baseline of %s could start (%v); judged against the stable version, latency after a warm-up",
				candidate.Service, candidate.Version, env.Name, cur.Version, err),
			map[string]any{"baseline": false, "stable": cur.Version, "error": err.Error()})
		d.printf("deploy %s %s to %s: no baseline: %v", candidate.Service, candidate.Version, env.Name, err)
		return nil
	}
	d.event(ctx, env.Name, candidate, "deploy.baseline",
		fmt.Sprintf("%s %s in %s: baseline of %s started beside it (%d instances)", candidate.Service, candidate.Version, env.Name, cur.Version, len(ins)),
		map[string]any{"baseline": true, "stable": cur.Version, "instances": urls(ins)})
	return ins
}

// restoreBaseline adopts the pending rollout's baseline when every instance of it
// still answers. Otherwise the rest of it is stopped and the rollout told to judge
// against the stable version from now on: a baseline started now would be younger
// than the candidate, the opposite of a fair comparison.
func (d *Deployer) restoreBaseline(ctx context.Context, cur *Deployment) error {
	p := cur.Pending
	if p == nil || len(p.Baseline) == 0 {
		return nil
	}
	dead, gone := d.firstDead(ctx, p.Baseline)
	if !gone {
		return nil
	}
	if err := d.stop(ctx, p.Baseline); err != nil {
		return fmt.Errorf("stop the baseline of %s in %s: %w", p.Version, cur.Env, err)
	}
	p.Baseline = nil
	if err := d.put(ctx, *cur); err != nil {
		return err
	}
	reason := fmt.Sprintf("its baseline no longer answers at %s after the restart", dead.URL)
	if _, err := d.Rollouts.DropBaseline(ctx, p.Rollout, reason); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("restore %s in %s: %w", cur.Service, cur.Env, err)
	}
	d.printf("restore %s in %s: %s; judged against %s from now on", cur.Service, cur.Env, reason, cur.Version)
	return nil
}
