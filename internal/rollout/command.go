package rollout

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slipway/slipway/internal/store"
)

// Action is a person's request to a running rollout.
type Action string

// Actions a person may request.
const (
	// Pause holds the current step: weights stay, analysis stops judging.
	Pause Action = "pause"
	// Resume restarts the current step's bake with a fresh baseline.
	Resume Action = "resume"
	// Promote sends 100% of traffic to the candidate now.
	Promote Action = "promote"
	// Abort sends 100% of traffic back to the stable version now.
	Abort Action = "abort"
)

// Command is a queued Action. The controller is the only writer of a rollout: people
// queue commands, and the controller applies them at its next pass, so a command
// never races a decision.
type Command struct {
	Action Action    `json:"action"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

const commandKind = "rollout.command"

// ErrTerminal is returned for a command to a rollout that has ended.
var ErrTerminal = errors.New("rollout has ended")

// Request queues a for rollout id; the controller applies it at its next pass.
func (c *Controller) Request(ctx context.Context, id string, a Action, reason string) error {
	r, err := c.Load(ctx, id)
	if err != nil {
		return fmt.Errorf("%s %s: %w", a, id, err)
	}
	switch a {
	case Pause, Resume, Promote, Abort:
	default:
		return fmt.Errorf("%s %s: unknown action: use pause, resume, promote or abort", a, id)
	}
	if r.Phase.Terminal() {
		return fmt.Errorf("%s %s: %w (%s)", a, id, ErrTerminal, r.Phase)
	}
	if a == Resume && r.Phase != Paused {
		return fmt.Errorf("resume %s: it is %s, not paused", id, r.Phase)
	}
	if a == Pause && r.Phase == Paused {
		return fmt.Errorf("pause %s: already paused", id)
	}
	if err := c.Store.Put(ctx, commandKind, id, Command{Action: a, Reason: reason, At: c.now()}); err != nil {
		return err
	}
	_, _ = c.Store.Append(ctx, store.Event{Kind: "rollout.requested", Service: r.Service, Env: r.Env, Version: r.Candidate.Version,
		Rollout: r.ID, Message: fmt.Sprintf("%s of %s requested: %s", a, r.ID, orDash(reason)), Data: map[string]any{"action": string(a), "reason": reason}})
	return nil
}

// applyCommand carries out a queued command, if any, then removes it.
func (c *Controller) applyCommand(ctx context.Context, r *Rollout) error {
	var cmd Command
	err := c.Store.Get(ctx, commandKind, r.ID, &cmd)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	reason := fmt.Sprintf("%s by hand", cmd.Action)
	if cmd.Reason != "" {
		reason += ": " + cmd.Reason
	}
	if !r.Phase.Terminal() {
		switch cmd.Action {
		case Pause:
			if r.Phase == Progressing {
				err = c.pause(ctx, r, reason)
			}
		case Resume:
			if r.Phase == Paused {
				r.Phase, r.Reason, r.NoData, r.StepStarted = Progressing, "", 0, time.Time{}
				if err = c.save(ctx, r); err == nil {
					c.event(ctx, r, "rollout.resumed", fmt.Sprintf("resumed %s at %d%%", r.ID, r.Weight), map[string]any{"weight": r.Weight})
					c.printf("  RESUMED at %d%%", r.Weight)
				}
			}
		case Promote:
			err = c.finish(ctx, r, Promoted, reason)
		case Abort:
			err = c.finish(ctx, r, Aborted, reason)
		}
	}
	if err != nil {
		return err
	}
	return c.Store.Delete(ctx, commandKind, r.ID)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
