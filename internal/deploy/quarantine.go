package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/store"
)

// Quarantine is a digest rolled back in an environment. Deploying it there again is
// refused until someone clears the quarantine with a reason (Options.Force and
// Options.Reason): a rolled back build is fixed forward with a new release. Stored
// as record "quarantine" with id "<service>/<env>/<digest>".
type Quarantine struct {
	Service string `json:"service"`
	Env     string `json:"env"`
	Version string `json:"version"`
	Digest  string `json:"digest"`
	// Rollout is the rollout that rolled the digest back.
	Rollout string    `json:"rollout"`
	At      time.Time `json:"at"`
	// Reason is why the rollout rolled back.
	Reason string `json:"reason"`
}

func quarantineID(service, env, digest string) string { return service + "/" + env + "/" + digest }

// Quarantined returns the quarantine of digest in env; found is false when there is
// none.
func (d *Deployer) Quarantined(ctx context.Context, env, digest string) (q Quarantine, found bool, err error) {
	err = d.Store.Get(ctx, "quarantine", quarantineID(d.Config.Service, env, digest), &q)
	if errors.Is(err, store.ErrNotFound) {
		return Quarantine{}, false, nil
	}
	if err != nil {
		return Quarantine{}, false, fmt.Errorf("read quarantine of %s in %s: %w", digest, env, err)
	}
	return q, true, nil
}

// quarantine records that rollout r rolled p back in env. Safe to repeat: a
// rollout settled again after a restart journals it once.
func (d *Deployer) quarantine(ctx context.Context, env string, p *Pending, r *rollout.Rollout) error {
	if q, found, err := d.Quarantined(ctx, env, p.Digest); err != nil || found && q.Rollout == r.ID {
		return err
	}
	at := r.FinishedAt
	if at.IsZero() {
		at = d.now()
	}
	q := Quarantine{Service: d.Config.Service, Env: env, Version: p.Version, Digest: p.Digest, Rollout: r.ID, At: at, Reason: r.Reason}
	if err := d.Store.Put(ctx, "quarantine", quarantineID(q.Service, env, q.Digest), q); err != nil {
		return fmt.Errorf("quarantine %s %s in %s: %w", q.Service, q.Version, env, err)
	}
	d.event(ctx, env, Artifact{Service: q.Service, Version: q.Version, Digest: q.Digest}, "deploy.quarantined",
		fmt.Sprintf("%s %s quarantined in %s: rollout %s rolled it back (%s)", q.Service, q.Version, env, r.ID, orDash(q.Reason)),
		map[string]any{"rollout": r.ID, "reason": q.Reason})
	return nil
}

// checkQuarantine refuses a quarantined digest, or clears its quarantine when the
// deploy is forced with a reason.
func (d *Deployer) checkQuarantine(ctx context.Context, env string, a Artifact, o Options) error {
	q, found, err := d.Quarantined(ctx, env, a.Digest)
	if err != nil || !found {
		return err
	}
	what := fmt.Sprintf("rollout %s rolled %s back in %s at %s: %s", q.Rollout, q.Version, env, q.At.Format(time.RFC3339), orDash(q.Reason))
	if !o.Force {
		err := fmt.Errorf("deploy %s %s to %s: %w: %s; fix forward with a new release, or pass --force --reason '...' to clear the quarantine",
			a.Service, a.Version, env, ErrQuarantined, what)
		d.event(ctx, env, a, "deploy.refused", err.Error(), map[string]any{"rollout": q.Rollout, "quarantined_at": q.At})
		return err
	}
	if strings.TrimSpace(o.Reason) == "" {
		return fmt.Errorf("deploy %s %s to %s: %w: %s; clearing the quarantine needs a reason: pass --reason '...' with --force",
			a.Service, a.Version, env, ErrQuarantined, what)
	}
	if err := d.Store.Delete(ctx, "quarantine", quarantineID(d.Config.Service, env, a.Digest)); err != nil {
		return fmt.Errorf("deploy %s %s to %s: clear quarantine: %w", a.Service, a.Version, env, err)
	}
	d.event(ctx, env, a, "deploy.quarantine-cleared",
		fmt.Sprintf("quarantine of %s %s in %s cleared (%s); it was: %s", a.Service, a.Version, env, o.Reason, what),
		map[string]any{"reason": o.Reason, "rollout": q.Rollout, "quarantined_at": q.At, "quarantine_reason": q.Reason})
	return nil
}
