package delivery

import (
	"context"
	"fmt"

	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/store"
)

// Stage is what happened to a release in one environment.
type Stage struct {
	Env     string         `json:"env"`
	Outcome deploy.Outcome `json:"outcome"`
	Rollout string         `json:"rollout,omitempty"`
	Reason  string         `json:"reason,omitempty"`
}

// Delivery is a release's way through the environments.
type Delivery struct {
	Release  Release
	Stages   []Stage
	Incident *incident.Incident
	// Waiting names the environment that waits for a manual promotion.
	Waiting string
}

// stopped reports whether the delivery cannot go on by itself.
func (d Delivery) stopped() bool {
	o := d.Outcome()
	return o == deploy.RolledBack || o == deploy.Paused || o == deploy.Aborted
}

// Outcome is the last stage's outcome.
func (d Delivery) Outcome() deploy.Outcome {
	if len(d.Stages) == 0 {
		return ""
	}
	return d.Stages[len(d.Stages)-1].Outcome
}

// Deliver deploys rel's artifact to each environment in order. An environment whose
// promotion is manual stops the flow there (Waiting names it; Promote continues); a
// failed deploy stops it with an error; a rollback opens an incident and stops it.
// Before an environment with a rollout strategy the release is marked a release
// candidate.
func (e *Engine) Deliver(ctx context.Context, rel Release) (Delivery, error) {
	d := Delivery{Release: rel}
	for i, env := range e.Config.Environments {
		if i > 0 && env.Promotion == "manual" {
			d.Waiting = env.Name
			e.printf("%s waits for a promotion to %s (promotion: manual): slipway promote %s %s", rel.Version, env.Name, rel.Version, env.Name)
			return d, nil
		}
		if err := e.deployTo(ctx, &d, i); err != nil || d.stopped() {
			return d, err
		}
	}
	return d, nil
}

// Promote deploys rel to env, the click of a manual promotion: env must be the one
// the delivery waits for, with every earlier environment done.
func (e *Engine) Promote(ctx context.Context, d *Delivery, env string) error {
	if d.Waiting != env {
		return fmt.Errorf("promote %s to %s: the release waits for %q", d.Release.Version, env, d.Waiting)
	}
	d.Waiting = ""
	for i, en := range e.Config.Environments {
		if en.Name == env {
			return e.deployTo(ctx, d, i)
		}
	}
	return fmt.Errorf("promote %s: no environment %q in slipway.yaml", d.Release.Version, env)
}

func (e *Engine) deployTo(ctx context.Context, d *Delivery, i int) error {
	env, rel := e.Config.Environments[i], d.Release
	a := deploy.Artifact{Service: e.Config.Service, Version: rel.Version, Digest: rel.Artifact.Digest}
	if env.Rollout != nil && i > 0 {
		prev := e.Config.Environments[i-1].Name
		_, _ = e.Store.Append(ctx, store.Event{Kind: "release.candidate", Service: a.Service, Env: env.Name, Version: a.Version, Digest: a.Digest,
			Message: fmt.Sprintf("%s %s is a release candidate for %s: green in %s, notes %s", a.Service, a.Version, env.Name, prev, rel.Notes),
			Data:    map[string]any{"gates": prev, "notes": rel.Notes}})
	}
	if e.Lock != nil {
		defer e.Lock(env.Name)()
	}
	res, err := e.Deployer.Deploy(ctx, env.Name, a, deploy.Options{Hotfix: rel.Hotfix})
	if err != nil {
		return err
	}
	st := Stage{Env: env.Name, Outcome: res.Outcome}
	if res.Rollout != nil {
		st.Rollout, st.Reason = res.Rollout.ID, res.Rollout.Reason
	}
	d.Stages = append(d.Stages, st)
	if res.Outcome == deploy.RolledBack {
		inc, err := e.Incidents.OpenForRollout(ctx, res.Rollout.ID)
		if err != nil {
			return err
		}
		d.Incident = &inc
	}
	return nil
}
