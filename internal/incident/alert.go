package incident

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/store"
)

// AlertIncident is an alert that fired about one version of a service in one
// environment: what the Alertmanager receiver hands the manager once it has
// mapped the alert to what was deployed when.
type AlertIncident struct {
	Service string
	Env     string
	// Version is the version the alert correlates with (deployed when it started).
	Version string
	// StableVersion is the version that ran before, when known.
	StableVersion string
	// Alert is the alert's name: "ContractAPIErrorBudgetBurn".
	Alert string
	// StartsAt is when the alert started firing; zero means now.
	StartsAt time.Time
	// Summary is one line saying what is wrong (the alert's summary annotation).
	Summary string
	// Severity is the alert's severity label: critical, warning, info, sev1..3,
	// page or ticket; empty means critical in prod and production, warning elsewhere.
	Severity string
	// Labels are the alert's labels, kept with the incident's journal.
	Labels map[string]string
}

func (a AlertIncident) validate() error {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"service", a.Service}, {"env", a.Env}, {"version", a.Version}, {"alert name", a.Alert},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("alert lacks %s: map it to the deployed version before opening an incident", strings.Join(missing, ", "))
	}
	return nil
}

// OpenFromAlert opens an incident for an alert that correlates with a deployed
// version, in triage (nobody has acted yet), and announces it. The same alert
// for the same service, environment and version returns the incident it opened
// while that incident is active; another alert about a version that already has
// an active incident is added to that incident's timeline instead of opening a
// second one. Calling it again finishes what a previous call left undone.
func (m *Manager) OpenFromAlert(ctx context.Context, a AlertIncident) (Incident, error) {
	if err := a.validate(); err != nil {
		return Incident{}, fmt.Errorf("open incident: %w", err)
	}
	severity := ""
	if a.Severity != "" {
		s, err := ParseSeverity(a.Severity)
		if err != nil {
			return Incident{}, fmt.Errorf("open incident for alert %s: %w", a.Alert, err)
		}
		severity = s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	key := a.Service + "/" + a.Env + "/" + a.Version + "/" + a.Alert
	var ref struct {
		Incident string `json:"incident"`
	}
	switch err := m.Store.Get(ctx, byAlertKind, key, &ref); {
	case err == nil:
		inc, err := m.Get(ctx, ref.Incident)
		if err == nil && inc.Status.Active() {
			return m.finishAlert(ctx, inc)
		}
		if err != nil && !errors.Is(err, ErrNotFound) {
			return Incident{}, err
		}
	case !errors.Is(err, store.ErrNotFound):
		return Incident{}, fmt.Errorf("open incident for alert %s: %w", a.Alert, err)
	}
	if inc, ok, err := m.activeFor(ctx, a.Service, a.Env, a.Version); err != nil {
		return Incident{}, err
	} else if ok {
		if err := m.Store.Put(ctx, byAlertKind, key, map[string]string{"incident": inc.ID}); err != nil {
			return inc, fmt.Errorf("open incident for alert %s: %w", a.Alert, err)
		}
		return m.alertJoins(ctx, inc, a)
	}
	id, err := m.nextID(ctx)
	if err != nil {
		return Incident{}, fmt.Errorf("open incident for alert %s: %w", a.Alert, err)
	}
	if err := m.Store.Put(ctx, byAlertKind, key, map[string]string{"incident": id}); err != nil {
		return Incident{}, fmt.Errorf("open incident for alert %s: %w", a.Alert, err)
	}
	now := m.now()
	channel, err := m.channelFor(ctx, a.Service, now, id)
	if err != nil {
		return Incident{}, fmt.Errorf("open incident %s: %w", id, err)
	}
	inc := newAlertIncident(id, a, severity, now)
	inc.Channel = channel
	if err := m.Store.Put(ctx, recordKind, inc.ID, inc); err != nil {
		return Incident{}, fmt.Errorf("open incident %s: %w", inc.ID, err)
	}
	return m.finishAlert(ctx, inc)
}

func newAlertIncident(id string, a AlertIncident, severity string, now time.Time) Incident {
	starts := a.StartsAt.UTC()
	if a.StartsAt.IsZero() {
		starts = now
	}
	if severity == "" {
		severity = Warning
		if env := strings.ToLower(a.Env); env == "prod" || env == "production" {
			severity = Critical
		}
	}
	summary := strings.TrimSpace(a.Summary)
	if summary == "" {
		summary = fmt.Sprintf("%s firing for %s %s in %s", a.Alert, a.Service, a.Version, a.Env)
	}
	return Incident{
		ID:              id,
		Service:         a.Service,
		Env:             a.Env,
		Title:           fmt.Sprintf("%s: %s %s in %s", a.Alert, a.Service, a.Version, a.Env),
		Status:          Triage,
		Severity:        severity,
		StartedAt:       starts,
		DetectedAt:      starts,
		OpenedAt:        now,
		AffectedVersion: a.Version,
		StableVersion:   a.StableVersion,
		Alert:           a.Alert,
		Summary:         summary,
		Updates:         []Update{{At: starts, By: "slipway", Text: "Alert " + a.Alert + " fired: " + summary, Status: Triage}},
		Labels:          maps.Clone(a.Labels),
	}
}

// finishAlert journals incident.opened for an alert's incident when it is not
// yet, and announces it.
func (m *Manager) finishAlert(ctx context.Context, inc Incident) (Incident, error) {
	done, err := m.recorded(ctx, inc.ID)
	if err != nil {
		return inc, err
	}
	if !done[EventOpened] {
		data := map[string]any{"channel": inc.Channel, "severity": inc.Severity, "alert": inc.Alert,
			"started_at": inc.StartedAt, "detected_at": inc.DetectedAt}
		if len(inc.Labels) > 0 {
			data["labels"] = inc.Labels
		}
		if err := m.journal1(ctx, inc, EventOpened, inc.OpenedAt, fmt.Sprintf("incident %s opened: %s", inc.ID, inc.Summary), data); err != nil {
			return inc, err
		}
	}
	return m.announce(ctx, inc, done)
}

// alertJoins adds a further alert to an active incident's timeline.
func (m *Manager) alertJoins(ctx context.Context, inc Incident, a AlertIncident) (Incident, error) {
	now := m.now()
	text := "Alert " + a.Alert + " fired"
	if s := strings.TrimSpace(a.Summary); s != "" {
		text += ": " + s
	}
	u := Update{At: now, By: "slipway", Text: text}
	inc.Updates = append(inc.Updates, u)
	if err := m.Store.Put(ctx, recordKind, inc.ID, inc); err != nil {
		return inc, fmt.Errorf("update incident %s: %w", inc.ID, err)
	}
	if err := m.journal1(ctx, inc, EventUpdated, now, fmt.Sprintf("incident %s: %s", inc.ID, text), map[string]any{"text": text, "alert": a.Alert, "labels": a.Labels}); err != nil {
		return inc, err
	}
	return inc, m.tell(ctx, inc, updateMessage(inc, u))
}

// activeFor returns the active incident about version of service in env, if any.
func (m *Manager) activeFor(ctx context.Context, service, env, version string) (Incident, bool, error) {
	incs, err := m.List(ctx)
	if err != nil {
		return Incident{}, false, err
	}
	for _, in := range incs {
		if in.Service == service && in.Env == env && in.AffectedVersion == version && in.Status.Active() {
			return in, true, nil
		}
	}
	return Incident{}, false, nil
}
