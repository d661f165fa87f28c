package incident

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/slipway/slipway/internal/store"
)

// Change is what a person changes on an incident with an update. Empty fields
// keep what the incident has; Text is the update itself.
type Change struct {
	Status    Status
	Severity  string
	Commander string
	Text      string
}

// Resolution is how an incident was resolved: the version whose promotion fixed
// it, when one did, and a note.
type Resolution struct {
	FixVersion string
	Note       string
}

// actor is who causes what ctx does: the person it carries, or Slipway.
func actor(ctx context.Context) (name string, person bool) {
	if a, ok := store.ActorFrom(ctx); ok && a.Name != "" {
		return a.Name, a.Via != "slipway"
	}
	return "slipway", false
}

// Update adds a person's update to the incident's timeline, moving its status,
// severity or commander when c says so, journals incident.updated and posts the
// update in the incident's thread. Resolving and closing have their own methods.
// A change the lifecycle refuses returns no incident; an incident returned with
// an error is recorded, and only telling people failed (the same for Resolve and
// Close).
// The first person to post an update becomes the commander unless one is named;
// a person's update on a critical incident acknowledges its page.
func (m *Manager) Update(ctx context.Context, id string, c Change) (Incident, error) {
	c.Text = strings.TrimSpace(c.Text)
	if c.Status == Resolved || c.Status == Closed {
		return Incident{}, fmt.Errorf("update incident %s: to set it %s use slipway incidents %s %s", id, c.Status, strings.TrimSuffix(string(c.Status), "d"), id)
	}
	if c.Text == "" && c.Status == "" && c.Severity == "" && c.Commander == "" {
		return Incident{}, fmt.Errorf("update incident %s: nothing to say: give a message (and a status, severity or commander to change)", id)
	}
	if c.Severity != "" {
		sev, err := ParseSeverity(c.Severity)
		if err != nil {
			return Incident{}, fmt.Errorf("update incident %s: %w", id, err)
		}
		c.Severity = sev
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	inc, err := m.Get(ctx, id)
	if err != nil {
		return Incident{}, fmt.Errorf("update: %w", err)
	}
	if c.Status != "" && c.Status != inc.Status {
		if err := checkMove(id, inc.Status, c.Status); err != nil {
			return Incident{}, err
		}
	} else if inc.Status.Terminal() {
		return Incident{}, checkMove(id, inc.Status, inc.Status)
	}
	now := m.now()
	by, person := actor(ctx)
	u := Update{At: now, By: by, Text: c.Text}
	var changed []string
	if c.Status != "" && c.Status != inc.Status {
		inc.Status, u.Status = c.Status, c.Status
		changed = append(changed, "status "+string(c.Status))
		if c.Status == Mitigated && inc.MitigatedAt.IsZero() {
			inc.MitigatedAt = now
		}
	}
	if c.Severity != "" && c.Severity != inc.Severity {
		inc.Severity = c.Severity
		changed = append(changed, "severity "+c.Severity)
	}
	switch {
	case c.Commander != "" && c.Commander != inc.Commander:
		inc.Commander = c.Commander
		changed = append(changed, "commander "+c.Commander)
	case inc.Commander == "" && person:
		inc.Commander = by
	}
	if u.Text == "" {
		u.Text = "Set " + strings.Join(changed, ", ") + "."
	}
	inc.Updates = append(inc.Updates, u)
	if err := m.Store.Put(ctx, recordKind, inc.ID, inc); err != nil {
		return Incident{}, fmt.Errorf("update incident %s: %w", id, err)
	}
	if err := m.journal1(ctx, inc, EventUpdated, now, fmt.Sprintf("incident %s updated by %s: %s", inc.ID, by, u.Text),
		map[string]any{"text": u.Text, "status": string(u.Status), "severity": inc.Severity, "commander": inc.Commander}); err != nil {
		return inc, err
	}
	errs := []error{m.tell(ctx, inc, updateMessage(inc, u))}
	if m.Pager != nil && person && inc.Severity == Critical {
		if err := m.Pager.Acknowledge(ctx, inc.ID); err != nil {
			errs = append(errs, fmt.Errorf("acknowledge the page of %s: %w", inc.ID, err))
		}
	}
	return inc, errors.Join(errs...)
}

// Resolve marks the incident resolved (its cause fixed), with the fix version
// when a promotion fixed it, journals incident.resolved, posts the final message
// in its thread, updates the summary and resolves the page. Resolving twice is an
// error wrapping ErrResolved. The resolution is persisted before anything is
// announced; when only an announcement fails the resolved incident is returned
// with the error.
func (m *Manager) Resolve(ctx context.Context, id string, r Resolution) (Incident, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.resolve(ctx, id, r)
}

func (m *Manager) resolve(ctx context.Context, id string, r Resolution) (Incident, error) {
	inc, err := m.Get(ctx, id)
	if err != nil {
		return Incident{}, fmt.Errorf("resolve: %w", err)
	}
	if !inc.Status.Active() {
		return Incident{}, fmt.Errorf("resolve incident %s: %w at %s (%s)", id, ErrResolved, inc.ResolvedAt.Format(time.RFC3339), inc.Status)
	}
	now := m.now()
	by, _ := actor(ctx)
	inc.Status = Resolved
	inc.ResolvedAt = now
	if inc.MitigatedAt.IsZero() {
		inc.MitigatedAt = now
	}
	inc.FixVersion = strings.TrimSpace(r.FixVersion)
	inc.Resolution = strings.TrimSpace(r.Note)
	text := inc.Resolution
	if text == "" && inc.FixVersion != "" {
		text = fmt.Sprintf("Fixed by %s, promoted to 100%% of %s.", inc.FixVersion, inc.Env)
	}
	if text == "" {
		text = "Resolved."
	}
	inc.Updates = append(inc.Updates, Update{At: now, By: by, Text: text, Status: Resolved})
	if err := m.Store.Put(ctx, recordKind, inc.ID, inc); err != nil {
		return Incident{}, fmt.Errorf("resolve incident %s: %w", id, err)
	}
	msg := fmt.Sprintf("incident %s resolved after %s", inc.ID, Round(inc.ResolvedAt.Sub(inc.OpenedAt)))
	if inc.FixVersion != "" {
		msg += " by " + inc.FixVersion
	}
	if inc.Resolution != "" {
		msg += ": " + inc.Resolution
	}
	data := map[string]any{"note": inc.Resolution, "fix_version": inc.FixVersion}
	for k, f := range map[string]func() (time.Duration, bool){"time_to_detect_s": inc.TimeToDetect, "time_to_mitigate_s": inc.TimeToMitigate, "time_to_resolve_s": inc.TimeToResolve} {
		if d, ok := f(); ok {
			data[k] = d.Seconds()
		}
	}
	if err := m.journal1(ctx, inc, EventResolved, now, msg, data); err != nil {
		return inc, err
	}
	errs := []error{m.tell(ctx, inc, resolvedMessage(inc))}
	if m.Pager != nil {
		if err := m.Pager.Resolve(ctx, inc.ID); err != nil {
			errs = append(errs, fmt.Errorf("resolve the page of %s: %w", inc.ID, err))
		}
	}
	return inc, errors.Join(errs...)
}

// Close closes a resolved incident once its review is done. Nothing changes a
// closed incident.
func (m *Manager) Close(ctx context.Context, id, note string) (Incident, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	inc, err := m.Get(ctx, id)
	if err != nil {
		return Incident{}, fmt.Errorf("close: %w", err)
	}
	if err := checkMove(id, inc.Status, Closed); err != nil {
		return Incident{}, err
	}
	now := m.now()
	by, _ := actor(ctx)
	text := strings.TrimSpace(note)
	if text == "" {
		text = "Review done; incident closed."
	}
	inc.Status, inc.ClosedAt = Closed, now
	inc.Updates = append(inc.Updates, Update{At: now, By: by, Text: text, Status: Closed})
	if err := m.Store.Put(ctx, recordKind, inc.ID, inc); err != nil {
		return Incident{}, fmt.Errorf("close incident %s: %w", id, err)
	}
	if err := m.journal1(ctx, inc, EventClosed, now, fmt.Sprintf("incident %s closed by %s: %s", inc.ID, by, text), map[string]any{"note": text}); err != nil {
		return inc, err
	}
	return inc, m.tell(ctx, inc, updateMessage(inc, inc.Updates[len(inc.Updates)-1]))
}

// ResolveFixed resolves the active incidents of service in env that a later
// version fixed: called when version serves 100% of env. An incident is fixed by
// a version newer than its affected one (semantic versions; any other version
// when they do not parse). It returns the incidents it resolved.
func (m *Manager) ResolveFixed(ctx context.Context, service, env, version string) ([]Incident, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	incs, err := m.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []Incident
	var errs []error
	for _, in := range incs {
		if in.Service != service || in.Env != env || !in.Status.Active() || !later(version, in.AffectedVersion) {
			continue
		}
		res, err := m.resolve(ctx, in.ID, Resolution{FixVersion: version})
		if res.ID != "" && res.Status == Resolved {
			out = append(out, res)
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return out, errors.Join(errs...)
}

// later reports whether version v comes after affected.
func later(v, affected string) bool {
	if v == "" || v == affected {
		return false
	}
	a, errA := semver.NewVersion(affected)
	b, errB := semver.NewVersion(v)
	if errA != nil || errB != nil {
		return true
	}
	return b.GreaterThan(a)
}

// journal1 appends one incident event.
func (m *Manager) journal1(ctx context.Context, inc Incident, kind string, at time.Time, msg string, data map[string]any) error {
	_, err := m.Store.Append(ctx, store.Event{Kind: kind, Time: at, Service: inc.Service, Env: inc.Env, Version: inc.AffectedVersion,
		Rollout: inc.Rollout, Incident: inc.ID, Message: msg, Data: data})
	if err != nil {
		return fmt.Errorf("journal %s of %s: %w", kind, inc.ID, err)
	}
	return nil
}
