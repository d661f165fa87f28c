package slo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slipway/slipway/internal/store"
)

// State is one tier's alert for one version, as last evaluated.
type State struct {
	Key
	Objective string `json:"slo"`
	TierState
	// Since is when the alert started firing; zero when it does not fire.
	Since time.Time `json:"since,omitzero"`
}

// Status is every objective's tiers for one version.
type Status struct {
	Key
	Objective Objective   `json:"objective"`
	Tiers     []TierState `json:"tiers"`
}

// Statuses evaluates every objective for every version of service that served in
// the last three days, at now. It changes nothing.
func (s *Samples) Statuses(ctx context.Context, service string, objectives []Objective, now time.Time) ([]Status, error) {
	keys, err := s.Versions(ctx, service, now)
	if err != nil {
		return nil, err
	}
	var out []Status
	for _, k := range keys {
		var sumErr error
		sum := func(span time.Duration) Counts {
			c, err := s.Sum(ctx, k, now, span)
			if err != nil && sumErr == nil {
				sumErr = err
			}
			return c
		}
		for _, o := range objectives {
			st := Status{Key: k, Objective: o, Tiers: Assess(o, sum)}
			if sumErr != nil {
				return nil, sumErr
			}
			out = append(out, st)
		}
	}
	return out, nil
}

// Marks keeps each alert's state across evaluations and restarts: the store's
// records fit.
type Marks interface {
	Get(ctx context.Context, kind, id string, v any) error
	Put(ctx context.Context, kind, id string, v any) error
}

// markKind is the record kind of an alert's state, id service/env/version/slo/tier.
const markKind = "slo.alert"

// Transition is an alert that started or stopped firing.
type Transition struct {
	State
	// Firing is true when it started, false when it stopped.
	Firing bool
}

// Evaluate assesses every objective of service now and returns the alerts that
// started or stopped firing since the last evaluation, remembering the new state
// in marks. Each firing keeps the time it started, so an alert is reported once
// however often it is evaluated.
func (s *Samples) Evaluate(ctx context.Context, marks Marks, service string, objectives []Objective, now time.Time) ([]Transition, error) {
	statuses, err := s.Statuses(ctx, service, objectives, now)
	if err != nil {
		return nil, err
	}
	var out []Transition
	for _, st := range statuses {
		for _, t := range st.Tiers {
			id := fmt.Sprintf("%s/%s/%s/%s/%s", st.Service, st.Env, st.Version, st.Objective.Name, t.Tier)
			var prev State
			err := marks.Get(ctx, markKind, id, &prev)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return out, err
			}
			was := err == nil && !prev.Since.IsZero()
			if was == t.Firing {
				continue
			}
			cur := State{Key: st.Key, Objective: st.Objective.Name, TierState: t}
			if t.Firing {
				cur.Since = now
			} else {
				cur.Since = prev.Since // the resolution names when it began
			}
			rec := cur
			if !t.Firing {
				rec.Since = time.Time{}
			}
			if err := marks.Put(ctx, markKind, id, rec); err != nil {
				return out, err
			}
			out = append(out, Transition{State: cur, Firing: t.Firing})
		}
	}
	return out, nil
}

// FiringSince returns when the alert of one version's tier started firing, zero if
// it does not fire.
func FiringSince(ctx context.Context, marks Marks, k Key, objective, tier string) time.Time {
	var st State
	if err := marks.Get(ctx, markKind, fmt.Sprintf("%s/%s/%s/%s/%s", k.Service, k.Env, k.Version, objective, tier), &st); err != nil {
		return time.Time{}
	}
	return st.Since
}
