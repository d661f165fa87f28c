package incident

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/slipway/slipway/internal/store"
)

// decided is a journal event with its decoded data.
type decided struct {
	store.Event
	data eventData
}

// facts is what the journal of an incident says, read once for the post-mortem.
type facts struct {
	events   []decided // rollout and incident events, by time
	verdicts []decided // rollout.verdict events
	// firstFail is the first verdict that decided to roll back.
	firstFail *decided
	// healthySince is the last moment the canary was measured healthy before
	// firstFail (a passing verdict, the step that moved traffic, or the start).
	healthySince *decided
	rolledBack   *decided
	started      *decided
	announced    *decided
}

// journal reads the events of the incident and of its rollout, oldest first.
func (m *Manager) journal(ctx context.Context, inc Incident) ([]store.Event, error) {
	seen := make(map[int64]bool)
	var out []store.Event
	filters := []store.Filter{{Incident: inc.ID}}
	if inc.Rollout != "" {
		filters = append(filters, store.Filter{Rollout: inc.Rollout})
	}
	for _, f := range filters {
		events, err := m.Store.Events(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("read journal of incident %s: %w", inc.ID, err)
		}
		for _, e := range events {
			if !seen[e.ID] {
				seen[e.ID] = true
				out = append(out, e)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b store.Event) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

func readFacts(events []store.Event) (facts, error) {
	var f facts
	for _, e := range events {
		d, err := decodeData(e)
		if err != nil {
			return facts{}, err
		}
		f.events = append(f.events, decided{Event: e, data: d})
	}
	for i := range f.events {
		ev := &f.events[i]
		switch ev.Kind {
		case "rollout.started":
			if f.started == nil {
				f.started = ev
			}
		case "rollout.verdict":
			f.verdicts = append(f.verdicts, *ev)
			if f.firstFail == nil && ev.data.verdictFailed() {
				f.firstFail = ev
			}
		case "rollout.rolledback":
			if f.rolledBack == nil {
				f.rolledBack = ev
			}
		case EventAnnounced:
			if f.announced == nil {
				f.announced = ev
			}
		}
	}
	f.healthySince = f.lastHealthy()
	return f, nil
}

// lastHealthy finds the latest evidence that the canary was fine before it failed:
// a passing verdict, the step that moved traffic, or the start of the rollout.
func (f *facts) lastHealthy() *decided {
	if f.firstFail == nil {
		return nil
	}
	var found *decided
	for i := range f.events {
		ev := &f.events[i]
		if ev.ID == f.firstFail.ID {
			break
		}
		switch {
		case ev.Kind == "rollout.verdict" && !ev.data.verdictFailed(),
			ev.Kind == "rollout.step", ev.Kind == "rollout.started":
			found = ev
		}
	}
	return found
}

// failWeight is the canary's share of traffic when it failed, or -1.
func (f *facts) failWeight() float64 {
	for _, ev := range []*decided{f.firstFail, f.rolledBack} {
		if ev != nil && ev.data.Weight != nil && *ev.data.Weight > 0 {
			return *ev.data.Weight
		}
	}
	// The weight of the last step before the failure.
	w := -1.0
	for _, ev := range f.events {
		if f.firstFail != nil && ev.Time.After(f.firstFail.Time) {
			break
		}
		if ev.Kind == "rollout.step" && ev.data.Weight != nil {
			w = *ev.data.Weight
		}
	}
	return w
}

// stableAt is when traffic was back on the stable version.
func (f *facts) stableAt(inc Incident) time.Time {
	if f.rolledBack != nil {
		return f.rolledBack.Time
	}
	return inc.MitigatedAt
}

// canaryErrors is the number of failed requests the router counted on the canary
// over the whole rollout; ok is false when the journal does not say.
func (f *facts) canaryErrors() (n float64, ok bool) {
	if f.rolledBack != nil && f.rolledBack.data.CandidateErrors != nil {
		return *f.rolledBack.data.CandidateErrors, true
	}
	return 0, false
}

// decidingCheck is the failed check with the most errors in the verdict that
// rolled the canary back; ok is false when there is none.
func (f *facts) decidingCheck() (check, bool) {
	for _, ev := range []*decided{f.firstFail, f.rolledBack} {
		if ev == nil {
			continue
		}
		var best *check
		for i := range ev.data.Checks {
			c := &ev.data.Checks[i]
			if c.result() == "fail" && (best == nil || c.Errors > best.Errors) {
				best = c
			}
		}
		if best != nil {
			return *best, true
		}
	}
	return check{}, false
}
