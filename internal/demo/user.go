package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/slipway/slipway/internal/controlplane"
	"github.com/slipway/slipway/internal/delivery"
	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/store"
)

// What the person does and watches, through the same doors as the CLI: requests to
// the control plane (slipway promote, slipway run) and reads of the store (slipway
// status, runs, history).

// waitFor is how long the demo waits for the control plane to do one thing. The
// first run on a machine compiles the service's dependencies (OpenTelemetry, gRPC)
// cold inside its pipelines: on two busy cores that alone can take minutes.
const waitFor = 15 * time.Minute

// poll calls check every 200ms until it reports done or fails, or waitFor passes.
func (e *env) poll(ctx context.Context, what string, check func() (bool, error)) error {
	deadline := time.Now().Add(waitFor)
	for {
		done, err := check()
		if err != nil || done {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waited %s for %s: see 'slipway history --data %s'", waitFor, what, e.opts.Data)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// waitRun waits for the pipeline the control plane runs on commit and returns its
// run id, failing when the run failed.
func (e *env) waitRun(ctx context.Context, commit string) (string, error) {
	var run string
	err := e.poll(ctx, "the pipeline of "+commit[:7], func() (bool, error) {
		evs, err := e.st.Events(ctx, store.Filter{Service: e.cfg.Service, Kinds: []string{"run.finished", "run.rejected"}})
		if err != nil {
			return false, err
		}
		for _, ev := range evs {
			if ev.Data["commit"] != commit {
				continue
			}
			if ev.Kind == "run.rejected" {
				return false, errors.New(ev.Message)
			}
			run = ev.Run
			if ev.Data["passed"] != true {
				return false, fmt.Errorf("pipeline %s for %s failed: see the logs above (slipway run logs %s)", ev.Run, commit[:7], ev.Run)
			}
			return true, nil
		}
		return false, nil
	})
	return run, err
}

// waitRelease waits until commit is released and delivered to the environment
// before production, and returns the release.
func (e *env) waitRelease(ctx context.Context, commit string) (delivery.Release, error) {
	if _, err := e.waitRun(ctx, commit); err != nil {
		return delivery.Release{}, err
	}
	var rel delivery.Release
	envs := e.cfg.Environments
	gate := envs[len(envs)-2].Name
	err := e.poll(ctx, "the release of "+commit[:7], func() (bool, error) {
		if rel.Version == "" {
			err := e.st.List(ctx, "release", func(_ string, raw json.RawMessage) error {
				var r delivery.Release
				if err := json.Unmarshal(raw, &r); err != nil {
					return err
				}
				if r.Commit == commit {
					rel = r
				}
				return nil
			})
			if err != nil || rel.Version == "" {
				return false, err
			}
		}
		failed, err := e.st.Events(ctx, store.Filter{Service: e.cfg.Service, Version: rel.Version, Kinds: []string{"deploy.failed"}})
		if err != nil {
			return false, err
		}
		if len(failed) > 0 {
			return false, fmt.Errorf("%s: %s", rel.Version, failed[0].Message)
		}
		var dep deploy.Deployment
		err = e.st.Get(ctx, "deployment", e.cfg.Service+"/"+gate, &dep)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return dep.Digest == rel.Artifact.Digest && dep.SmokeOK, err
	})
	return rel, err
}

// request asks the control plane for r and follows it, as the CLI does.
func (e *env) request(ctx context.Context, r controlplane.Request) (controlplane.Finished, error) {
	ctx = store.WithActor(ctx, store.CurrentUser("cli"))
	id, err := controlplane.Submit(ctx, e.st, r)
	if err != nil {
		return controlplane.Finished{}, err
	}
	return controlplane.Await(ctx, e.st, id, r.Service, time.Minute, nil)
}

// promote is `slipway promote VERSION ENV`; it returns how the release fared.
func (e *env) promote(ctx context.Context, rel delivery.Release, env string) (delivery.Delivery, error) {
	fmt.Fprintf(e.out, "$ slipway promote %s %s\n", rel.Version, env)
	f, err := e.request(ctx, controlplane.Request{Op: controlplane.OpPromote, Service: e.cfg.Service, Version: rel.Version, Env: env})
	if err != nil {
		return delivery.Delivery{}, err
	}
	d, err := e.delivery(ctx, rel)
	if err != nil {
		return d, err
	}
	if !f.OK && d.Outcome() != deploy.RolledBack {
		return d, fmt.Errorf("promote %s to %s: %s", rel.Version, env, f.Error)
	}
	return d, nil
}

// delivery reads back from the journal how rel fared in each environment.
func (e *env) delivery(ctx context.Context, rel delivery.Release) (delivery.Delivery, error) {
	d := delivery.Delivery{Release: rel}
	evs, err := e.st.Events(ctx, store.Filter{Service: e.cfg.Service, Version: rel.Version, Kinds: []string{"deploy.finished"}})
	if err != nil {
		return d, err
	}
	for _, ev := range evs {
		st := delivery.Stage{Env: ev.Env}
		if o, ok := ev.Data["outcome"].(string); ok {
			st.Outcome = deploy.Outcome(o)
		}
		st.Rollout, _ = ev.Data["rollout"].(string)
		st.Reason, _ = ev.Data["reason"].(string)
		d.Stages = append(d.Stages, st)
	}
	if d.Outcome() == deploy.RolledBack {
		inc, err := e.incidentOf(ctx, rel.Version)
		if err != nil {
			return d, err
		}
		d.Incident = &inc
	}
	return d, nil
}

// incidentOf is the incident a rollback of version opened (slipway incidents).
func (e *env) incidentOf(ctx context.Context, version string) (incident.Incident, error) {
	incs, err := (&incident.Manager{Store: e.st}).List(ctx)
	if err != nil {
		return incident.Incident{}, err
	}
	for _, in := range incs {
		if in.Service == e.cfg.Service && in.AffectedVersion == version {
			return in, nil
		}
	}
	return incident.Incident{}, fmt.Errorf("no incident for the rollback of %s", version)
}

// postMortem is where the control plane drafted incident id's post-mortem last.
func (e *env) postMortem(ctx context.Context, id string) (string, error) {
	evs, err := e.st.Events(ctx, store.Filter{Incident: id, Kinds: []string{"incident.postmortem"}})
	if err != nil {
		return "", err
	}
	if len(evs) == 0 {
		return "", fmt.Errorf("no post-mortem drafted for %s", id)
	}
	path, _ := evs[len(evs)-1].Data["path"].(string)
	return path, nil
}
