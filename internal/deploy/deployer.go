package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/artifact"
	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/runtime"
	"github.com/slipway/slipway/internal/store"
)

// records is the part of the store a Deployer needs.
type records interface {
	Put(ctx context.Context, kind, id string, v any) error
	Get(ctx context.Context, kind, id string, v any) error
	Delete(ctx context.Context, kind, id string) error
	Append(ctx context.Context, e store.Event) (store.Event, error)
}

// extractor verifies an artifact against an environment's policy (digest,
// signature by a trusted key, signed scan, vulnerability gate) and unpacks its
// binary.
type extractor interface {
	Extract(ctx context.Context, digest, destDir string, p artifact.Policy) (string, error)
}

// Deployer deploys artifacts of one service into its environments.
type Deployer struct {
	Config    *config.Config
	Store     records
	Artifacts extractor
	// Pinned is the policy file the control plane was given (slipway up
	// --policy): for the environments it covers it overrides slipway.yaml's
	// keys and gate. Nil: slipway.yaml's policy.
	Pinned   *config.PolicyFile
	Target   runtime.Target
	Rollouts *rollout.Controller
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
	// Room decides whether a baseline fits beside the stable and the candidate.
	// Default MemoryRoom.
	Room Room
}

// Options change how one deploy runs.
type Options struct {
	// Hotfix selects the rollout's hotfix profile.
	Hotfix bool
	// Force deploys where Slipway would refuse: it clears the digest's quarantine in
	// the environment (Reason is then required), and where a canary cannot run
	// because the stable does not answer, it replaces the stable at once.
	Force bool
	// Reason says why Force was needed; it is journaled.
	Reason string
}

// Result says how a deploy ended.
type Result struct {
	Env     string
	Version string
	Outcome Outcome
	Smoke   []SmokeResult
	Rollout *rollout.Rollout
	// Instances are the new version's instances; Instance is the first of them.
	Instance  runtime.Instance
	Instances []runtime.Instance
}

// Errors callers match.
var (
	// ErrQuarantined refuses a digest rolled back in the environment (see Quarantine).
	ErrQuarantined = errors.New("quarantined")
	// ErrStableDown refuses a canary whose stable does not answer.
	ErrStableDown = errors.New("stable does not answer")
	// ErrRolloutUnderWay refuses a deploy while a rollout runs in the environment.
	ErrRolloutUnderWay = errors.New("a rollout is under way")
)

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

// Deploy puts a into env. Errors leave the environment as it was: the new instances
// are stopped and traffic stays on the previous version.
//
// Deploy refuses a digest quarantined in env, and a canary whose stable does not
// answer, unless o.Force. A redeploy of the running digest whose instances are gone
// restarts it, without a canary.
func (d *Deployer) Deploy(ctx context.Context, envName string, a Artifact, o Options) (Result, error) {
	env, ok := d.Config.Env(envName)
	if !ok {
		return Result{}, fmt.Errorf("deploy %s: no environment %q in slipway.yaml", a.Version, envName)
	}
	res := Result{Env: envName, Version: a.Version}
	if err := d.checkQuarantine(ctx, envName, a, o); err != nil {
		return res, err
	}
	cur, err := d.Current(ctx, envName)
	hasCurrent := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return res, err
	}
	if hasCurrent && cur.Pending != nil {
		if cur, err = d.clearPending(ctx, env, cur, a); err != nil {
			return res, err
		}
	}
	n := replicas(env)
	if hasCurrent && cur.Digest == a.Digest && len(cur.Instances) == n {
		if _, dead := d.firstDead(ctx, cur.Instances); !dead {
			d.printf("deploy %s %s to %s: already running", a.Service, a.Version, envName)
			res.Outcome, res.Instances = Deployed, cur.Instances
			res.Instance = cur.Instances[0]
			return res, nil
		}
	}
	canary := env.Rollout != nil && hasCurrent && cur.Digest != a.Digest
	if canary {
		if dead, ok := d.firstDead(ctx, cur.Instances); ok {
			why := fmt.Sprintf("stable %s in %s does not answer at %s; a canary needs a live stable to compare with", cur.Version, envName, dead.URL)
			if !o.Force {
				err := fmt.Errorf("deploy %s %s to %s: %w: %s: restart it (slipway up), or pass --force to replace it at once", a.Service, a.Version, envName, ErrStableDown, why)
				d.event(ctx, envName, a, "deploy.refused", err.Error(), map[string]any{"stable": cur.Version, "url": dead.URL})
				return res, err
			}
			canary = false
			d.event(ctx, envName, a, "deploy.canary-skipped", fmt.Sprintf("canary of %s %s in %s skipped (forced): %s; replacing it at once", a.Service, a.Version, envName, why),
				map[string]any{"stable": cur.Version, "url": dead.URL, "reason": o.Reason})
			d.printf("deploy %s %s to %s: canary skipped: %s", a.Service, a.Version, envName, why)
		}
	}
	d.event(ctx, envName, a, "deploy.started", fmt.Sprintf("deploying %s %s to %s", a.Service, a.Version, envName), nil)
	insts, err := d.start(ctx, envName, a, n, true)
	if err != nil {
		return res, d.fail(ctx, envName, a, fmt.Errorf("deploy %s %s to %s: %w", a.Service, a.Version, envName, err))
	}
	res.Instances, res.Instance = insts, insts[0]
	for _, in := range insts {
		results, err := Smoke(ctx, d.client(), in.URL, env.Smoke)
		res.Smoke = append(res.Smoke, results...)
		d.event(ctx, envName, a, "deploy.smoke", smokeLine(envName, results, err), map[string]any{"results": results, "passed": err == nil, "instance": in.URL})
		d.printf("  smoke %s: %s", in.URL, smokeLine(envName, results, err))
		if err != nil {
			d.stop(ctx, insts)
			return res, d.fail(ctx, envName, a, fmt.Errorf("deploy %s %s to %s: instance %s: %w", a.Service, a.Version, envName, in.URL, err))
		}
	}
	if canary {
		return d.rollout(ctx, env, cur, a, insts, o, res)
	}
	return d.replace(ctx, env, cur, hasCurrent, a, insts, res)
}

// clearPending deals with a candidate left on record before a new deploy: one whose
// rollout never started (the control plane stopped in between) is undone, one whose
// rollout ended is settled; one whose rollout runs must end first.
func (d *Deployer) clearPending(ctx context.Context, env *config.Environment, cur Deployment, a Artifact) (Deployment, error) {
	p := cur.Pending
	r, err := d.Rollouts.Load(ctx, p.Rollout)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if err := d.undo(ctx, cur); err != nil {
			return cur, err
		}
		return d.Current(ctx, env.Name)
	case err != nil:
		return cur, fmt.Errorf("deploy %s %s to %s: %w", a.Service, a.Version, env.Name, err)
	case r.Phase.Terminal():
		if _, err := d.settle(ctx, env, cur, r); err != nil {
			return cur, fmt.Errorf("deploy %s %s to %s: settle rollout %s of %s: %w", a.Service, a.Version, env.Name, r.ID, p.Version, err)
		}
		return d.Current(ctx, env.Name)
	}
	return cur, fmt.Errorf("deploy %s %s to %s: %w: rollout %s of %s is %s; wait for it to end, or abort it (slipway rollout abort %s)",
		a.Service, a.Version, env.Name, ErrRolloutUnderWay, r.ID, p.Version, r.Phase, r.ID)
}

// replace moves all traffic to the new instances at once. The new record is
// written first; if the router refuses the switch, the previous record comes back,
// the new instances are stopped and the failure is journaled.
func (d *Deployer) replace(ctx context.Context, env *config.Environment, cur Deployment, hasCurrent bool, a Artifact, insts []runtime.Instance, res Result) (Result, error) {
	dep := Deployment{Service: a.Service, Env: env.Name, Version: a.Version, Digest: a.Digest,
		Instances: insts, SmokeOK: true, DeployedAt: d.now()}
	if hasCurrent {
		// The previous version is warm until now: Reap stops it below. The warm
		// version before it, and anything else on record, is retired.
		dep.Warm = &Warm{Version: cur.Version, Digest: cur.Digest, Instances: cur.Instances, WarmUntil: d.now()}
		dep.Retired = without(cur.all(), cur.Instances)
	}
	if err := d.put(ctx, dep); err != nil {
		d.stop(ctx, insts)
		return res, d.fail(ctx, env.Name, a, fmt.Errorf("deploy %s %s to %s: %w", a.Service, a.Version, env.Name, err))
	}
	if _, err := d.Router(a.Service, env.Name).Apply(ctx, serving(a.Service, env.Name, a.Version, insts)); err != nil {
		err = fmt.Errorf("deploy %s %s to %s: switch traffic: %w; %s", a.Service, a.Version, env.Name, err, previous(cur, hasCurrent))
		if rerr := d.putBack(ctx, env.Name, cur, hasCurrent, insts); rerr != nil {
			err = errors.Join(err, rerr)
		}
		return res, d.fail(ctx, env.Name, a, err)
	}
	if err := d.Reap(ctx); err != nil {
		return res, err
	}
	d.event(ctx, env.Name, a, "deploy.finished", fmt.Sprintf("%s %s serves 100%% of %s", a.Service, a.Version, env.Name),
		map[string]any{"outcome": string(Deployed), "previous": cur.Version, "instances": urls(insts)})
	d.printf("deploy %s %s to %s: serving 100%%", a.Service, a.Version, env.Name)
	res.Outcome = Deployed
	return res, nil
}

func previous(cur Deployment, hasCurrent bool) string {
	if !hasCurrent {
		return "nothing was serving before"
	}
	return cur.Version + " still serves"
}

// putBack restores the record a failed switch replaced, with the new instances
// retired on it, then stops them: at no point does a running instance lack a record.
func (d *Deployer) putBack(ctx context.Context, env string, cur Deployment, hasCurrent bool, insts []runtime.Instance) error {
	ctx = context.WithoutCancel(ctx)
	if !hasCurrent {
		err := d.stop(ctx, insts)
		if derr := d.Store.Delete(ctx, "deployment", deploymentID(d.Config.Service, env)); derr != nil {
			err = errors.Join(err, fmt.Errorf("remove deployment record of %s in %s: %w", d.Config.Service, env, derr))
		}
		return err
	}
	cur.Retired = append(cur.Retired, insts...)
	if err := d.put(ctx, cur); err != nil {
		d.stop(ctx, insts)
		return err
	}
	_, err := d.retire(ctx, cur)
	return err
}

// Reap stops previous versions whose keep-warm window has passed, and retired
// instances.
func (d *Deployer) Reap(ctx context.Context) error {
	for _, env := range d.Config.Environments {
		dep, err := d.Current(ctx, env.Name)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if dep.Warm != nil && !d.now().Before(dep.Warm.WarmUntil) {
			dep.Retired = append(dep.Retired, dep.Warm.Instances...)
			dep.Warm = nil
		}
		if _, err := d.retire(ctx, dep); err != nil {
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
