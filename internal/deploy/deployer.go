package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/router"
	"github.com/slipway/slipway/internal/runtime"
	"github.com/slipway/slipway/internal/store"
)

// records is the part of the store a Deployer needs.
type records interface {
	Put(ctx context.Context, kind, id string, v any) error
	Get(ctx context.Context, kind, id string, v any) error
	Append(ctx context.Context, e store.Event) (store.Event, error)
}

// extractor verifies an artifact's digest and signature and unpacks its binary.
type extractor interface {
	Extract(ctx context.Context, digest, destDir string) (string, error)
}

// Deployer deploys artifacts of one service into its environments.
type Deployer struct {
	Config    *config.Config
	Store     records
	Artifacts extractor
	Target    runtime.Target
	Rollouts  *rollout.Controller
	// Router returns the traffic splitter in front of the service in env.
	Router func(service, env string) rollout.Splitter
	// Dir holds extracted binaries and instance files.
	Dir string
	// Out receives human progress lines; may be nil.
	Out io.Writer
	// HTTP runs smoke tests. Default: a client with a 5s timeout.
	HTTP *http.Client
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// RolledBack, when set, is told about every rollout that ended rolled back
	// (to open an incident); it must be safe to call twice for one rollout.
	RolledBack func(ctx context.Context, r *rollout.Rollout) error
}

// Options change how one deploy runs.
type Options struct {
	// Hotfix selects the rollout's hotfix profile.
	Hotfix bool
}

// Result says how a deploy ended.
type Result struct {
	Env      string
	Version  string
	Outcome  Outcome
	Smoke    []SmokeResult
	Rollout  *rollout.Rollout
	Instance runtime.Instance
}

func (d *Deployer) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Deployer) printf(format string, args ...any) {
	if d.Out != nil {
		fmt.Fprintf(d.Out, format+"\n", args...)
	}
}

// Current returns the deployment of env, or store.ErrNotFound.
func (d *Deployer) Current(ctx context.Context, env string) (Deployment, error) {
	var dep Deployment
	err := d.Store.Get(ctx, "deployment", deploymentID(d.Config.Service, env), &dep)
	return dep, err
}

// Deploy puts a into env. Errors leave the environment as it was: the new instance is
// stopped and traffic stays on the previous version.
func (d *Deployer) Deploy(ctx context.Context, envName string, a Artifact, o Options) (Result, error) {
	env, ok := d.Config.Env(envName)
	if !ok {
		return Result{}, fmt.Errorf("deploy %s: no environment %q in slipway.yaml", a.Version, envName)
	}
	res := Result{Env: envName, Version: a.Version}
	cur, err := d.Current(ctx, envName)
	hasCurrent := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return res, err
	}
	if hasCurrent && cur.Digest == a.Digest && len(cur.Instances) > 0 && d.Target.Alive(ctx, cur.Instances[0]) {
		d.printf("deploy %s %s to %s: already running", a.Service, a.Version, envName)
		res.Outcome = Deployed
		return res, nil
	}
	d.event(ctx, envName, a, "deploy.started", fmt.Sprintf("deploying %s %s to %s", a.Service, a.Version, envName), nil)
	bin, err := d.Artifacts.Extract(ctx, a.Digest, filepath.Join(d.Dir, "artifacts", strings.TrimPrefix(a.Digest, "sha256:")))
	if err != nil {
		return res, d.fail(ctx, envName, a, fmt.Errorf("deploy %s %s to %s: refuse artifact: %w", a.Service, a.Version, envName, err))
	}
	inst, err := d.Target.Start(ctx, runtime.Spec{Service: a.Service, Env: envName, Version: a.Version, Binary: bin,
		Health: d.Config.Build.Health, PortEnv: d.Config.Build.PortEnv, Dir: filepath.Join(d.Dir, "instances", envName)})
	if err != nil {
		return res, d.fail(ctx, envName, a, fmt.Errorf("deploy %s %s to %s: %w", a.Service, a.Version, envName, err))
	}
	res.Instance = inst
	d.printf("deploy %s %s to %s: instance %s up (pid %d)", a.Service, a.Version, envName, inst.URL, inst.PID)
	res.Smoke, err = Smoke(ctx, d.client(), inst.URL, env.Smoke)
	d.event(ctx, envName, a, "deploy.smoke", smokeLine(envName, res.Smoke, err), map[string]any{"results": res.Smoke, "passed": err == nil})
	d.printf("  smoke: %s", smokeLine(envName, res.Smoke, err))
	if err != nil {
		d.Target.Stop(context.WithoutCancel(ctx), inst)
		return res, d.fail(ctx, envName, a, fmt.Errorf("deploy %s %s to %s: %w", a.Service, a.Version, envName, err))
	}
	if env.Rollout != nil && hasCurrent && len(cur.Instances) > 0 && d.Target.Alive(ctx, cur.Instances[0]) {
		return d.rollout(ctx, env, cur, a, inst, o, res)
	}
	return d.replace(ctx, env, cur, hasCurrent, a, inst, res)
}

// replace moves all traffic to the new instance at once.
func (d *Deployer) replace(ctx context.Context, env *config.Environment, cur Deployment, hasCurrent bool, a Artifact, inst runtime.Instance, res Result) (Result, error) {
	dep := Deployment{Service: a.Service, Env: env.Name, Version: a.Version, Digest: a.Digest,
		Instances: []runtime.Instance{inst}, SmokeOK: true, DeployedAt: d.now()}
	if hasCurrent {
		dep.Warm = &Warm{Version: cur.Version, Digest: cur.Digest, Instances: cur.Instances, WarmUntil: d.now()}
	}
	if err := d.Store.Put(ctx, "deployment", deploymentID(a.Service, env.Name), dep); err != nil {
		d.Target.Stop(context.WithoutCancel(ctx), inst)
		return res, err
	}
	_, err := d.Router(a.Service, env.Name).Apply(ctx, router.Config{Service: a.Service, Env: env.Name,
		Backends: []router.Backend{{Version: a.Version, URL: inst.URL, Weight: 100}}})
	if err != nil {
		return res, fmt.Errorf("deploy %s %s to %s: switch traffic: %w", a.Service, a.Version, env.Name, err)
	}
	if err := d.Reap(ctx); err != nil {
		return res, err
	}
	d.event(ctx, env.Name, a, "deploy.finished", fmt.Sprintf("%s %s serves 100%% of %s", a.Service, a.Version, env.Name),
		map[string]any{"outcome": string(Deployed), "previous": cur.Version, "instance": inst.URL})
	d.printf("deploy %s %s to %s: serving 100%%", a.Service, a.Version, env.Name)
	res.Outcome = Deployed
	return res, nil
}

// Reap stops previous versions whose keep-warm window has passed.
func (d *Deployer) Reap(ctx context.Context) error {
	for _, env := range d.Config.Environments {
		dep, err := d.Current(ctx, env.Name)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if dep.Warm == nil || d.now().Before(dep.Warm.WarmUntil) {
			continue
		}
		for _, in := range dep.Warm.Instances {
			if err := d.Target.Stop(ctx, in); err != nil {
				return fmt.Errorf("stop warm %s %s in %s: %w", dep.Service, dep.Warm.Version, env.Name, err)
			}
		}
		dep.Warm = nil
		if err := d.Store.Put(ctx, "deployment", deploymentID(dep.Service, env.Name), dep); err != nil {
			return err
		}
	}
	return nil
}

func (d *Deployer) fail(ctx context.Context, env string, a Artifact, err error) error {
	d.event(ctx, env, a, "deploy.failed", err.Error(), map[string]any{"error": err.Error()})
	return err
}

func (d *Deployer) event(ctx context.Context, env string, a Artifact, kind, msg string, data map[string]any) {
	_, _ = d.Store.Append(ctx, store.Event{Kind: kind, Service: a.Service, Env: env, Version: a.Version, Digest: a.Digest, Message: msg, Data: data})
}

func (d *Deployer) client() *http.Client {
	if d.HTTP != nil {
		return d.HTTP
	}
	return &http.Client{Timeout: 5 * time.Second}
}

func smokeLine(env string, results []SmokeResult, err error) string {
	if err != nil {
		return err.Error()
	}
	if len(results) == 0 {
		return "no smoke checks configured for " + env
	}
	return fmt.Sprintf("%d/%d checks passed in %s", len(results), len(results), env)
}

// rolloutSpec turns an environment's rollout config into a rollout.Spec.
func rolloutSpec(service string, env *config.Environment, hotfix bool) (rollout.Spec, error) {
	ro := env.Rollout.Profile(hotfix)
	profile := "standard"
	if hotfix {
		profile = "hotfix"
	}
	a := ro.Analysis
	crit := analysis.Criteria{MinRequests: a.MinRequests, LatencyFloor: a.LatencyFloor.D().Seconds()}
	judge := analysis.Sequential{Alpha: a.Alpha, MinRequests: a.MinRequests,
		LowTraffic: analysis.LowTraffic(a.LowTraffic), MaxExtension: a.MaxExtension.D(), LatencyFloor: a.LatencyFloor.D()}
	for _, mc := range a.Checks {
		max, err := mc.Threshold()
		if err != nil {
			return rollout.Spec{}, fmt.Errorf("rollout check %s: %w", mc.Metric, err)
		}
		ch := analysis.Check{Metric: mc.Metric, Max: max, VsStable: mc.MaxVsStable}
		if math.IsInf(max, 1) {
			ch.Max, ch.NoMax = 0, true
		}
		crit.Checks = append(crit.Checks, ch)
		if mc.Metric == analysis.ErrorRate && !ch.NoMax {
			judge.MaxErrorRate = max
		}
	}
	return rollout.Spec{Service: service, Env: env.Name, Profile: profile, Steps: ro.Steps,
		Bake: ro.Bake.D(), Interval: ro.Interval.D(), Criteria: crit, Judge: judge, OnNoData: a.OnNoData}, nil
}
