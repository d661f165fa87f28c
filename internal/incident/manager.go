package incident

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/slipway/slipway/internal/notify"
	"github.com/slipway/slipway/internal/store"
)

// Manager opens, reads and resolves incidents. Its methods are safe for
// concurrent use; a Manager must not be copied after first use.
type Manager struct {
	Store Store
	// Notifier announces incidents; nil announces nothing.
	Notifier Notifier
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu sync.Mutex // serialises open and resolve, so one rollout gets one incident
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

// OpenFromRollback opens the incident for a rolled-back canary: it persists the
// incident, appends incident.opened and incident.stabilized (the rollback already
// ran) to the journal, and announces it. Every step is recorded before the next
// runs, so calling it again for the same rollout returns the existing incident and
// only finishes what a previous call left undone (such as a failed announcement).
// When the announcement fails the incident is returned with the error.
func (m *Manager) OpenFromRollback(ctx context.Context, rb Rollback) (Incident, error) {
	if err := rb.validate(); err != nil {
		return Incident{}, fmt.Errorf("open incident: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	inc, err := m.findOrCreate(ctx, rb)
	if err != nil {
		return Incident{}, err
	}
	done, err := m.recorded(ctx, inc.ID)
	if err != nil {
		return inc, err
	}
	base := store.Event{Service: inc.Service, Env: inc.Env, Version: inc.AffectedVersion, Rollout: inc.Rollout, Incident: inc.ID}
	if !done[EventOpened] {
		e := base
		e.Kind, e.Time = EventOpened, inc.OpenedAt
		e.Message = fmt.Sprintf("incident %s opened: %s", inc.ID, inc.Summary)
		e.Data = map[string]any{"channel": inc.Channel, "severity": inc.Severity, "metrics": inc.Metrics}
		if _, err := m.Store.Append(ctx, e); err != nil {
			return inc, fmt.Errorf("open incident %s: %w", inc.ID, err)
		}
	}
	if !done[EventStabilized] {
		e := base
		e.Kind, e.Time = EventStabilized, inc.OpenedAt
		e.Message = fmt.Sprintf("incident %s stabilized: 100%% of traffic on %s since %s", inc.ID, orUnknown(inc.StableVersion), clock(inc.StabilizedAt))
		e.Data = map[string]any{"stable_version": inc.StableVersion, "stabilized_at": inc.StabilizedAt}
		if _, err := m.Store.Append(ctx, e); err != nil {
			return inc, fmt.Errorf("open incident %s: %w", inc.ID, err)
		}
	}
	if !done[EventAnnounced] && m.Notifier != nil {
		if err := m.Notifier.Notify(ctx, openedMessage(inc)); err != nil {
			return inc, fmt.Errorf("announce incident %s: %w", inc.ID, err)
		}
		e := base
		e.Kind, e.Time = EventAnnounced, m.now()
		e.Message = fmt.Sprintf("incident %s announced in %s", inc.ID, inc.Channel)
		e.Data = map[string]any{"channel": inc.Channel}
		if _, err := m.Store.Append(ctx, e); err != nil {
			return inc, fmt.Errorf("open incident %s: %w", inc.ID, err)
		}
	}
	return inc, nil
}

// findOrCreate returns the incident of rb's rollout, creating it when there is none.
// The rollout index is written before the incident, so a crash in between makes
// the next call rebuild the incident under the same id instead of opening another.
func (m *Manager) findOrCreate(ctx context.Context, rb Rollback) (Incident, error) {
	var ref struct {
		Incident string `json:"incident"`
	}
	err := m.Store.Get(ctx, byRolloutKind, rb.Rollout, &ref)
	switch {
	case err == nil:
		inc, err := m.Get(ctx, ref.Incident)
		if err == nil || !errors.Is(err, ErrNotFound) {
			return inc, err
		}
	case errors.Is(err, store.ErrNotFound):
		n, err := m.Store.NextSeq(ctx, recordKind)
		if err != nil {
			return Incident{}, fmt.Errorf("open incident for rollout %s: %w", rb.Rollout, err)
		}
		ref.Incident = "INC-" + strconv.FormatInt(n, 10)
		if err := m.Store.Put(ctx, byRolloutKind, rb.Rollout, ref); err != nil {
			return Incident{}, fmt.Errorf("open incident for rollout %s: %w", rb.Rollout, err)
		}
	default:
		return Incident{}, fmt.Errorf("open incident for rollout %s: %w", rb.Rollout, err)
	}
	inc := newIncident(ref.Incident, rb, m.now())
	if err := m.Store.Put(ctx, recordKind, inc.ID, inc); err != nil {
		return Incident{}, fmt.Errorf("open incident %s: %w", inc.ID, err)
	}
	return inc, nil
}

func newIncident(id string, rb Rollback, now time.Time) Incident {
	stabilized := rb.RolledBackAt.UTC()
	if rb.RolledBackAt.IsZero() {
		stabilized = now
	}
	severity := notify.SeverityWarning
	if env := strings.ToLower(rb.Env); env == "prod" || env == "production" {
		severity = notify.SeverityCritical
	}
	inc := Incident{
		ID:               id,
		Service:          rb.Service,
		Env:              rb.Env,
		Title:            fmt.Sprintf("Canary degradation: %s %s rolled back in %s", rb.Service, rb.AffectedVersion, rb.Env),
		Status:           Stabilized,
		Severity:         severity,
		Channel:          ChannelName(rb.Service, now),
		OpenedAt:         now,
		StabilizedAt:     stabilized,
		AffectedVersion:  rb.AffectedVersion,
		StableVersion:    rb.StableVersion,
		Rollout:          rb.Rollout,
		Metrics:          slices.Clone(rb.Metrics),
		Reason:           rb.Reason,
		RollbackExecuted: true,
	}
	inc.Summary = fmt.Sprintf("%s %s rolled back to %s in %s", rb.Service, rb.AffectedVersion, orUnknown(rb.StableVersion), rb.Env)
	if breached := metricsLine(rb.Metrics); breached != "" {
		inc.Summary += ": " + breached
	} else if rb.Reason != "" {
		inc.Summary += ": " + rb.Reason
	}
	return inc
}

// recorded returns the incident.* kinds already in the journal for id.
func (m *Manager) recorded(ctx context.Context, id string) (map[string]bool, error) {
	events, err := m.Store.Events(ctx, store.Filter{Incident: id, Kinds: []string{"incident.*"}})
	if err != nil {
		return nil, fmt.Errorf("read journal of incident %s: %w", id, err)
	}
	done := make(map[string]bool)
	for _, e := range events {
		done[e.Kind] = true
	}
	return done, nil
}

// Get returns the incident with id, or an error wrapping ErrNotFound.
func (m *Manager) Get(ctx context.Context, id string) (Incident, error) {
	if strings.TrimSpace(id) == "" {
		return Incident{}, errors.New("get incident: id is empty, want an id like INC-1")
	}
	var inc Incident
	if err := m.Store.Get(ctx, recordKind, id, &inc); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Incident{}, fmt.Errorf("get incident %s: %w (list them with the incidents command)", id, ErrNotFound)
		}
		return Incident{}, fmt.Errorf("get incident %s: %w", id, err)
	}
	return inc, nil
}

// List returns every incident, oldest first.
func (m *Manager) List(ctx context.Context) ([]Incident, error) {
	var out []Incident
	err := m.Store.List(ctx, recordKind, func(id string, raw json.RawMessage) error {
		var inc Incident
		if err := json.Unmarshal(raw, &inc); err != nil {
			return fmt.Errorf("decode incident %s: %w", id, err)
		}
		out = append(out, inc)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list incidents: %w", err)
	}
	return out, nil
}

// Resolve closes the incident with a note, records incident.resolved and
// announces it. Resolving twice is an error wrapping ErrResolved. The resolution
// is persisted before the announcement; when only the announcement fails the
// resolved incident is returned with the error.
func (m *Manager) Resolve(ctx context.Context, id, note string) (Incident, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	inc, err := m.Get(ctx, id)
	if err != nil {
		return Incident{}, fmt.Errorf("resolve: %w", err)
	}
	if inc.Status.Terminal() {
		return inc, fmt.Errorf("resolve incident %s: %w at %s", id, ErrResolved, inc.ResolvedAt.Format(time.RFC3339))
	}
	inc.Status = Resolved
	inc.ResolvedAt = m.now()
	inc.Resolution = strings.TrimSpace(note)
	if err := m.Store.Put(ctx, recordKind, inc.ID, inc); err != nil {
		return Incident{}, fmt.Errorf("resolve incident %s: %w", id, err)
	}
	msg := fmt.Sprintf("incident %s resolved after %s", inc.ID, inc.ResolvedAt.Sub(inc.OpenedAt).Round(time.Second))
	if inc.Resolution != "" {
		msg += ": " + inc.Resolution
	}
	if _, err := m.Store.Append(ctx, store.Event{
		Kind: EventResolved, Time: inc.ResolvedAt, Service: inc.Service, Env: inc.Env, Version: inc.AffectedVersion,
		Rollout: inc.Rollout, Incident: inc.ID, Message: msg, Data: map[string]any{"note": inc.Resolution},
	}); err != nil {
		return inc, fmt.Errorf("resolve incident %s: %w", id, err)
	}
	if m.Notifier != nil {
		if err := m.Notifier.Notify(ctx, resolvedMessage(inc)); err != nil {
			return inc, fmt.Errorf("announce resolution of %s: %w", id, err)
		}
	}
	return inc, nil
}

// OpenForRollout opens (or returns) the incident of a rolled back rollout, from the
// rollout.rolledback event the rollout controller wrote to the journal.
func (m *Manager) OpenForRollout(ctx context.Context, rolloutID string) (Incident, error) {
	evs, err := m.Store.Events(ctx, store.Filter{Rollout: rolloutID, Kinds: []string{"rollout.rolledback"}})
	if err != nil {
		return Incident{}, err
	}
	if len(evs) == 0 {
		return Incident{}, fmt.Errorf("open incident for rollout %s: no rollout.rolledback event in the journal", rolloutID)
	}
	rb, err := RollbackFromEvent(evs[len(evs)-1])
	if err != nil {
		return Incident{}, fmt.Errorf("open incident for rollout %s: %w", rolloutID, err)
	}
	inc, err := m.OpenFromRollback(ctx, rb)
	if err != nil {
		return inc, fmt.Errorf("open incident for rollout %s: %w", rolloutID, err)
	}
	return inc, nil
}
