package rollout

import (
	"context"
	"fmt"
)

// Relocate records that version's instances in rollout id answer at urls now: they
// were restarted (after a reboot, or slipway down and up) while no controller ran.
// The next pass of Run applies the weights to them. Call it only while no
// controller runs the rollout: the controller is otherwise its only writer.
func (c *Controller) Relocate(ctx context.Context, id, version string, urls []string) (*Rollout, error) {
	r, err := c.Load(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("relocate %s of rollout %s: %w", version, id, err)
	}
	if len(urls) == 0 {
		return nil, fmt.Errorf("relocate %s of rollout %s: no instance URLs given", version, id)
	}
	switch version {
	case r.Candidate.Version:
		r.Candidate = NewRelease(version, r.Candidate.Digest, urls...)
	case r.Stable.Version:
		r.Stable = NewRelease(version, r.Stable.Digest, urls...)
	default:
		return nil, fmt.Errorf("relocate %s of rollout %s: it moves %s to %s, not %s", version, id, r.Stable.Version, r.Candidate.Version, version)
	}
	if err := c.save(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// DropBaseline records that rollout id judges its candidate against the stable
// version from now on: its baseline stopped (after a restart it could not be
// adopted). The stable takes the baseline's traffic at the next pass, and latency
// counts only after the warm-up. Like Relocate, call it only while no controller
// runs the rollout. Dropping a rollout without a baseline changes nothing.
func (c *Controller) DropBaseline(ctx context.Context, id, reason string) (*Rollout, error) {
	r, err := c.Load(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("drop the baseline of rollout %s: %w", id, err)
	}
	if !r.HasBaseline() {
		return r, nil
	}
	r.Baseline = Release{}
	if err := c.save(ctx, r); err != nil {
		return nil, err
	}
	c.event(ctx, r, "rollout.baseline", fmt.Sprintf("rollout %s judges %s against stable %s from now on: %s", r.ID, r.Candidate.Version, r.Stable.Version, reason),
		map[string]any{"compared_with": r.reference(), "reason": reason})
	return r, nil
}
