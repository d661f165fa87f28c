package deploy

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/slipway/slipway/internal/artifact"
	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/router"
	"github.com/slipway/slipway/internal/runtime"
)

// replicas is how many instances of a version run in env.
func replicas(env *config.Environment) int {
	if env.Replicas < 1 {
		return 1
	}
	return env.Replicas
}

// start verifies a against env's policy and extracts its binary, then starts n
// instances of it in env. On error none of them is left running. Restarting a
// version env already admitted (admit false) checks its digest, signature and
// scan binding but not the vulnerability gate again: an allowance that expired
// since stops new deploys, never the recovery of what runs.
func (d *Deployer) start(ctx context.Context, env string, a Artifact, n int, admit bool) ([]runtime.Instance, error) {
	pol, from := d.policyOf(env)
	if !admit {
		pol.Vulnerabilities = nil
	}
	p, err := artifact.PolicyFor(env, pol, d.now())
	if err != nil {
		return nil, fmt.Errorf("refuse artifact: %w", err)
	}
	p.From = from
	bin, err := d.extract(ctx, a, p, admit)
	if err != nil {
		return nil, fmt.Errorf("refuse artifact: %w", err)
	}
	var started []runtime.Instance
	for range n {
		in, err := d.Target.Start(ctx, runtime.Spec{Service: a.Service, Env: env, Version: a.Version, Binary: bin,
			Health: d.Config.Build.Health, PortEnv: d.Config.Build.PortEnv, Dir: filepath.Join(d.Dir, "instances", env)})
		if err != nil {
			d.stop(ctx, started)
			return nil, err
		}
		started = append(started, in)
		d.printf("deploy %s %s to %s: instance %s up (pid %d)", a.Service, a.Version, env, in.URL, in.PID)
	}
	return started, nil
}

// stop stops every instance, even once ctx is done, and reports every failure.
func (d *Deployer) stop(ctx context.Context, ins []runtime.Instance) error {
	ctx = context.WithoutCancel(ctx)
	var errs []error
	for _, in := range ins {
		if err := d.Target.Stop(ctx, in); err != nil {
			errs = append(errs, fmt.Errorf("stop %s %s in %s (pid %d): %w", in.Service, in.Version, in.Env, in.PID, err))
		}
	}
	return errors.Join(errs...)
}

// firstDead returns the first of ins that does not answer; ok is false when all do.
// No instance at all counts as dead.
func (d *Deployer) firstDead(ctx context.Context, ins []runtime.Instance) (runtime.Instance, bool) {
	if len(ins) == 0 {
		return runtime.Instance{URL: "(no instance recorded)"}, true
	}
	for _, in := range ins {
		if !d.Target.Alive(ctx, in) {
			return in, true
		}
	}
	return runtime.Instance{}, false
}

// without returns ins less those also in drop (by ID).
func without(ins, drop []runtime.Instance) []runtime.Instance {
	var out []runtime.Instance
	for _, in := range ins {
		if !slices.ContainsFunc(drop, func(x runtime.Instance) bool { return x.ID == in.ID }) {
			out = append(out, in)
		}
	}
	return out
}

func urls(ins []runtime.Instance) []string {
	out := make([]string, len(ins))
	for i, in := range ins {
		out[i] = in.URL
	}
	return out
}

// serving is the router config that sends all of env's traffic to version's instances.
func serving(service, env, version string, ins []runtime.Instance) router.Config {
	return router.Config{Service: service, Env: env, Backends: router.Spread(version, 100, urls(ins)...)}
}

// retire stops dep's retired instances, then records that they are gone.
func (d *Deployer) retire(ctx context.Context, dep Deployment) (Deployment, error) {
	if len(dep.Retired) == 0 {
		return dep, nil
	}
	if err := d.stop(ctx, dep.Retired); err != nil {
		return dep, fmt.Errorf("retire instances of %s in %s: %w", dep.Service, dep.Env, err)
	}
	dep.Retired = nil
	if err := d.put(ctx, dep); err != nil {
		return dep, err
	}
	return dep, nil
}

// put records dep.
func (d *Deployer) put(ctx context.Context, dep Deployment) error {
	if err := d.Store.Put(ctx, "deployment", deploymentID(dep.Service, dep.Env), dep); err != nil {
		return fmt.Errorf("record deployment of %s %s in %s: %w", dep.Service, dep.Version, dep.Env, err)
	}
	return nil
}
