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

	"github.com/slipway/slipway/internal/store"
)

// Manager opens, reads, updates and resolves incidents. Its methods are safe for
// concurrent use; a Manager must not be copied after first use.
type Manager struct {
	Store Store
	// Notifier announces incidents; nil announces nothing.
	Notifier Notifier
	// Chat keeps a conversation per incident (a Slack channel); nil keeps none.
	Chat Conversation
	// Pager pages the people on call when an incident opens and tells it when the
	// incident is resolved; nil pages nobody.
	Pager Pager
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu sync.Mutex // serialises writes, so one rollout gets one incident
}

// SetChannels replaces the chat conversation and the pager between two writes:
// a configuration shipped with a release rewires them while incidents go on.
func (m *Manager) SetChannels(chat Conversation, pager Pager) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Chat, m.Pager = chat, pager
}

func (m *Manager) now() time.Time {
	if m.Now != nil {
		return m.Now().UTC()
	}
	return time.Now().UTC()
}

// OpenFromRollback opens the incident for a rolled-back canary: it persists the
// incident, appends incident.opened and incident.mitigated (the rollback already
// ran) to the journal, and announces it (notifier, chat, pager). Every step is
// recorded before the next runs, so calling it again for the same rollout returns
// the existing incident and only finishes what a previous call left undone (such
// as a failed announcement). When an announcement fails the incident is returned
// with the error.
func (m *Manager) OpenFromRollback(ctx context.Context, rb Rollback) (Incident, error) {
	if err := rb.validate(); err != nil {
		return Incident{}, fmt.Errorf("open incident: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	inc, joined, err := m.findOrCreate(ctx, rb)
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
		e.Data = map[string]any{"channel": inc.Channel, "severity": inc.Severity, "metrics": inc.Metrics,
			"started_at": inc.StartedAt, "detected_at": inc.DetectedAt}
		if _, err := m.Store.Append(ctx, e); err != nil {
			return inc, fmt.Errorf("open incident %s: %w", inc.ID, err)
		}
	}
	if !done[EventMitigated] && !done[EventStabilized] {
		e := base
		e.Kind, e.Time = EventMitigated, inc.OpenedAt
		e.Message = fmt.Sprintf("incident %s mitigated: 100%% of traffic on %s since %s", inc.ID, orUnknown(inc.StableVersion), clock(inc.MitigatedAt))
		e.Data = map[string]any{"stable_version": inc.StableVersion, "mitigated_at": inc.MitigatedAt}
		if _, err := m.Store.Append(ctx, e); err != nil {
			return inc, fmt.Errorf("open incident %s: %w", inc.ID, err)
		}
		if joined {
			// the alert's incident was announced already: the rollback is news in it
			if err := m.tell(ctx, inc, updateMessage(inc, inc.Updates[len(inc.Updates)-1])); err != nil {
				return inc, err
			}
		}
	}
	return m.announce(ctx, inc, done)
}

// findOrCreate returns the incident of rb's rollout, creating it when there is none
// - or, when an alert opened an incident about the same version in the same
// environment that is still active, joining that one (joined): one failure, one
// incident. The rollout index is written before the incident, so a crash in
// between makes the next call rebuild or rejoin the same incident instead of
// opening another.
func (m *Manager) findOrCreate(ctx context.Context, rb Rollback) (inc Incident, joined bool, err error) {
	var ref struct {
		Incident string `json:"incident"`
	}
	err = m.Store.Get(ctx, byRolloutKind, rb.Rollout, &ref)
	switch {
	case err == nil:
		inc, err := m.Get(ctx, ref.Incident)
		if err == nil && inc.Rollout != rb.Rollout {
			return m.joinRollback(ctx, inc, rb) // joined, then interrupted
		}
		if err == nil || !errors.Is(err, ErrNotFound) {
			return inc, err == nil && inc.Alert != "", err
		}
	case errors.Is(err, store.ErrNotFound):
		alerted, found, err := m.activeFor(ctx, rb.Service, rb.Env, rb.AffectedVersion)
		if err != nil {
			return Incident{}, false, fmt.Errorf("open incident for rollout %s: %w", rb.Rollout, err)
		}
		if found && alerted.Rollout == "" {
			ref.Incident = alerted.ID
			if err := m.Store.Put(ctx, byRolloutKind, rb.Rollout, ref); err != nil {
				return Incident{}, false, fmt.Errorf("open incident for rollout %s: %w", rb.Rollout, err)
			}
			return m.joinRollback(ctx, alerted, rb)
		}
		id, err := m.nextID(ctx)
		if err != nil {
			return Incident{}, false, fmt.Errorf("open incident for rollout %s: %w", rb.Rollout, err)
		}
		ref.Incident = id
		if err := m.Store.Put(ctx, byRolloutKind, rb.Rollout, ref); err != nil {
			return Incident{}, false, fmt.Errorf("open incident for rollout %s: %w", rb.Rollout, err)
		}
	default:
		return Incident{}, false, fmt.Errorf("open incident for rollout %s: %w", rb.Rollout, err)
	}
	now := m.now()
	channel, err := m.channelFor(ctx, rb.Service, now, ref.Incident)
	if err != nil {
		return Incident{}, false, fmt.Errorf("open incident %s: %w", ref.Incident, err)
	}
	inc = newIncident(ref.Incident, rb, now)
	inc.Channel = channel
	if err := m.Store.Put(ctx, recordKind, inc.ID, inc); err != nil {
		return Incident{}, false, fmt.Errorf("open incident %s: %w", inc.ID, err)
	}
	return inc, false, nil
}

// joinRollback records rb in the alert's incident inc: the rollout, the rollback
// (mitigated, unless people moved it further), the stable version, the checks that
// failed and the earliest evidence of failure of either.
func (m *Manager) joinRollback(ctx context.Context, inc Incident, rb Rollback) (Incident, bool, error) {
	rolled := newIncident(inc.ID, rb, m.now())
	inc.Rollout, inc.RollbackExecuted, inc.StableVersion = rb.Rollout, true, rb.StableVersion
	if inc.StartedAt.IsZero() || rolled.StartedAt.Before(inc.StartedAt) {
		inc.StartedAt = rolled.StartedAt
	}
	if inc.DetectedAt.IsZero() {
		inc.DetectedAt = rolled.DetectedAt
	}
	if inc.MitigatedAt.IsZero() {
		inc.MitigatedAt = rolled.MitigatedAt
	}
	if inc.Status == Triage || inc.Status == Investigating {
		inc.Status = Mitigated
	}
	if inc.Reason == "" {
		inc.Reason = rolled.Reason
	}
	inc.Metrics = append(inc.Metrics, rolled.Metrics...)
	inc.Updates = append(inc.Updates, rolled.Updates...)
	if err := m.Store.Put(ctx, recordKind, inc.ID, inc); err != nil {
		return Incident{}, false, fmt.Errorf("join rollout %s to incident %s: %w", rb.Rollout, inc.ID, err)
	}
	return inc, true, nil
}

func (m *Manager) nextID(ctx context.Context) (string, error) {
	n, err := m.Store.NextSeq(ctx, recordKind)
	if err != nil {
		return "", err
	}
	return "INC-" + strconv.FormatInt(n, 10), nil
}

// channelFor is the first of the service's channel names for t's day that no
// other incident holds: "#incident-svc-2026-12-01", then "...-2", "...-3".
func (m *Manager) channelFor(ctx context.Context, service string, t time.Time, id string) (string, error) {
	incs, err := m.List(ctx)
	if err != nil {
		return "", err
	}
	taken := make(map[string]bool)
	for _, in := range incs {
		if in.ID != id {
			taken[in.Channel] = true
		}
	}
	for n := 1; ; n++ {
		if c := channelName(service, t, n); !taken[c] {
			return c, nil
		}
	}
}

func newIncident(id string, rb Rollback, now time.Time) Incident {
	mitigated := rb.RolledBackAt.UTC()
	if rb.RolledBackAt.IsZero() {
		mitigated = now
	}
	detected := rb.DetectedAt.UTC()
	if rb.DetectedAt.IsZero() {
		detected = mitigated
	}
	started := rb.FailedAt.UTC()
	if rb.FailedAt.IsZero() {
		started = detected
	}
	severity := Warning
	if env := strings.ToLower(rb.Env); env == "prod" || env == "production" {
		severity = Critical
	}
	inc := Incident{
		ID:               id,
		Service:          rb.Service,
		Env:              rb.Env,
		Title:            fmt.Sprintf("Canary degradation: %s %s rolled back in %s", rb.Service, rb.AffectedVersion, rb.Env),
		Status:           Mitigated,
		Severity:         severity,
		Channel:          ChannelName(rb.Service, now),
		StartedAt:        started,
		DetectedAt:       detected,
		OpenedAt:         now,
		MitigatedAt:      mitigated,
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
	inc.Updates = []Update{{At: mitigated, By: "slipway", Status: Mitigated,
		Text: fmt.Sprintf("Rolled %s back: 100%% of traffic on %s.", rb.AffectedVersion, orUnknown(rb.StableVersion))}}
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
	slices.SortStableFunc(out, func(a, b Incident) int { return a.OpenedAt.Compare(b.OpenedAt) })
	return out, nil
}

// OpenForRollout opens (or returns) the incident of a rolled back rollout, from the
// rollout.rolledback event the rollout controller wrote to the journal; the
// rollout's verdicts say when the candidate first failed.
func (m *Manager) OpenForRollout(ctx context.Context, rolloutID string) (Incident, error) {
	evs, err := m.Store.Events(ctx, store.Filter{Rollout: rolloutID, Kinds: []string{"rollout.rolledback", "rollout.started", "rollout.step", "rollout.verdict"}})
	if err != nil {
		return Incident{}, err
	}
	var last *store.Event
	for i := range evs {
		if evs[i].Kind == "rollout.rolledback" {
			last = &evs[i]
		}
	}
	if last == nil {
		return Incident{}, fmt.Errorf("open incident for rollout %s: no rollout.rolledback event in the journal", rolloutID)
	}
	rb, err := RollbackFromEvent(*last)
	if err != nil {
		return Incident{}, fmt.Errorf("open incident for rollout %s: %w", rolloutID, err)
	}
	failed, detected := firstFailure(evs)
	rb.FailedAt, rb.DetectedAt = failed.Time, detected.Time
	inc, err := m.OpenFromRollback(ctx, rb)
	if err != nil {
		return inc, fmt.Errorf("open incident for rollout %s: %w", rolloutID, err)
	}
	return inc, nil
}
