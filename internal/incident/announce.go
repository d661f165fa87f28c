package incident

import (
	"context"
	"errors"
	"fmt"

	"github.com/slipway/slipway/internal/notify"
	"github.com/slipway/slipway/internal/store"
)

// Conversation keeps one chat conversation per incident: a channel whose first
// message is the incident's summary, with every later update threaded under it.
//
// Lifecycle: Start is called once, when the incident is announced, and returns
// the thread (the manager persists it); Reply posts an update under the thread;
// Edit replaces the summary message with the incident as it stands now. Methods are
// safe for concurrent use and honour ctx. The Slack notifier implements it.
type Conversation interface {
	Start(ctx context.Context, m notify.Message) (notify.Thread, error)
	Reply(ctx context.Context, t notify.Thread, m notify.Message) error
	Edit(ctx context.Context, t notify.Thread, m notify.Message) error
}

// Pager pages the people on call. Trigger opens (or refreshes) the alert with
// p.Key; Acknowledge says someone is on it (it stops escalating); Resolve closes
// the alert with key. All are safe to repeat and safe for concurrent use. The
// PagerDuty client implements it.
type Pager interface {
	Trigger(ctx context.Context, p notify.Page) error
	Acknowledge(ctx context.Context, key string) error
	Resolve(ctx context.Context, key string) error
}

// announce tells people about a newly opened incident, each channel once: the
// notifier (incident.announced), the chat conversation (the thread persisted on
// the incident) and the pager (incident.paged). done lists the incident.* events
// already journaled. The incident is returned with what failed, joined.
func (m *Manager) announce(ctx context.Context, inc Incident, done map[string]bool) (Incident, error) {
	base := store.Event{Service: inc.Service, Env: inc.Env, Version: inc.AffectedVersion, Rollout: inc.Rollout, Incident: inc.ID}
	var errs []error
	if !done[EventAnnounced] && m.Notifier != nil {
		if err := m.Notifier.Notify(ctx, openedMessage(inc)); err != nil {
			errs = append(errs, fmt.Errorf("announce incident %s: %w", inc.ID, err))
		} else {
			e := base
			e.Kind, e.Time = EventAnnounced, m.now()
			e.Message = fmt.Sprintf("incident %s announced in %s", inc.ID, inc.Channel)
			e.Data = map[string]any{"channel": inc.Channel}
			if _, err := m.Store.Append(ctx, e); err != nil {
				return inc, fmt.Errorf("open incident %s: %w", inc.ID, err)
			}
		}
	}
	if inc.Thread == (notify.Thread{}) && m.Chat != nil {
		th, err := m.Chat.Start(ctx, summaryMessage(inc))
		if err != nil {
			errs = append(errs, fmt.Errorf("start the conversation of incident %s in %s: %w", inc.ID, inc.Channel, err))
		} else {
			inc.Thread = th
			if err := m.Store.Put(ctx, recordKind, inc.ID, inc); err != nil {
				return inc, fmt.Errorf("open incident %s: %w", inc.ID, err)
			}
		}
	}
	if !done[EventPaged] && m.Pager != nil && inc.Severity == Critical && inc.Status.Active() {
		if err := m.Pager.Trigger(ctx, page(inc)); err != nil {
			errs = append(errs, fmt.Errorf("page for incident %s: %w", inc.ID, err))
		} else {
			e := base
			e.Kind, e.Time = EventPaged, m.now()
			e.Message = fmt.Sprintf("incident %s paged the people on call", inc.ID)
			if _, err := m.Store.Append(ctx, e); err != nil {
				return inc, fmt.Errorf("open incident %s: %w", inc.ID, err)
			}
		}
	}
	return inc, errors.Join(errs...)
}

// tell posts what changed on an incident: a reply in its thread with the
// summary edited to match, and the notifier. Failures are joined; the change
// itself is already persisted.
func (m *Manager) tell(ctx context.Context, inc Incident, msg notify.Message) error {
	var errs []error
	if m.Chat != nil && inc.Thread != (notify.Thread{}) {
		if err := m.Chat.Reply(ctx, inc.Thread, msg); err != nil {
			errs = append(errs, fmt.Errorf("post update of %s in %s: %w", inc.ID, inc.Channel, err))
		}
		if err := m.Chat.Edit(ctx, inc.Thread, summaryMessage(inc)); err != nil {
			errs = append(errs, fmt.Errorf("update summary of %s in %s: %w", inc.ID, inc.Channel, err))
		}
	}
	if m.Notifier != nil {
		if err := m.Notifier.Notify(ctx, msg); err != nil {
			errs = append(errs, fmt.Errorf("announce update of %s: %w", inc.ID, err))
		}
	}
	return errors.Join(errs...)
}

// page is what the pager shows for inc.
func page(inc Incident) notify.Page {
	p := notify.Page{
		Key:      inc.ID,
		Summary:  fmt.Sprintf("%s: %s", inc.ID, inc.Summary),
		Source:   inc.Service + "/" + inc.Env,
		Severity: inc.Severity,
		Time:     inc.OpenedAt,
		Details: map[string]string{
			"service": inc.Service, "env": inc.Env, "version": inc.AffectedVersion,
			"status": string(inc.Status), "channel": inc.Channel,
		},
	}
	if inc.StableVersion != "" {
		p.Details["stable_version"] = inc.StableVersion
	}
	if inc.Alert != "" {
		p.Details["alert"] = inc.Alert
	}
	return p
}
