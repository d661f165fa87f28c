// Package notify tells people what Slipway did: a canary rolled back, an incident
// opened, a release promoted, a run failed. The Notifier interface is the seam;
// implementations live in subpackages (console, webhook, slack) and all pass the
// conformance suite in notify/notifytest. An incident also has a conversation
// (Thread: the Slack notifier starts, replies and edits) and a page (Page, Change:
// the pagerduty client triggers, resolves and records changes); the incident
// package declares the interfaces it needs of them.
package notify

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"
)

// Kinds of message. A Notifier may present them differently (the Slack notifier
// creates the incident channel for KindIncident), but must deliver every kind.
const (
	KindRollback = "rollback"
	KindIncident = "incident"
	KindPromoted = "promoted"
	KindFailed   = "failed"
)

// Severities, from loudest to quietest. An empty severity reads as SeverityInfo.
const (
	SeverityCritical = "critical"
	SeverityWarning  = "warning"
	SeverityInfo     = "info"
)

// Message is one notification. Only Title is required; every other field is shown
// when set.
type Message struct {
	Kind     string // KindRollback, KindIncident, KindPromoted, KindFailed
	Severity string // SeverityCritical, SeverityWarning, SeverityInfo
	Title    string // one line: "Canary degradation detected"
	Text     string // free text, may span lines
	Service  string
	Env      string
	Version  string
	Incident string // incident id, "INC-1"
	// Channel is where chat notifiers post ("#incident-contract-api-2026-11-26");
	// empty means their configured default.
	Channel string
	Fields  []Field // ordered name/value pairs: "Action": "rollback initiated"
	Time    time.Time
}

// Validate reports what makes m undeliverable.
func (m Message) Validate() error {
	if strings.TrimSpace(m.Title) == "" {
		return errors.New("message has no title: set Message.Title to one line saying what happened")
	}
	return nil
}

// Field is one labelled value of a Message.
type Field struct {
	Name  string
	Value string
}

// Notifier delivers messages to people.
//
// Lifecycle: a Notifier is built by its package's New, is ready at once, and holds
// no background goroutines, so there is nothing to start or close. Notify delivers one
// message and returns when the sink has accepted it (written, answered 2xx, ok:true) or
// when delivery has definitively failed, retries included.
//
// Concurrency: Notify is safe for concurrent use by multiple goroutines; concurrent
// messages are delivered whole, never interleaved.
//
// Context: Notify honours ctx for cancellation and deadlines and returns an error
// (wrapping ctx.Err()) without delivering when ctx is already done.
//
// Errors name the notifier and the failure but never carry secrets (tokens, signing
// keys, URLs with credentials).
type Notifier interface {
	Notify(ctx context.Context, m Message) error
}

// Func adapts a function to a Notifier.
type Func func(ctx context.Context, m Message) error

// Notify calls f(ctx, m).
func (f Func) Notify(ctx context.Context, m Message) error { return f(ctx, m) }

// Multi fans a message out to every notifier, concurrently, and returns their
// errors joined. A failing notifier never stops delivery to the others.
type Multi []Notifier

var _ Notifier = Multi(nil)

// Notify delivers m to every notifier in the list.
func (ms Multi) Notify(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	errs := make([]error, len(ms))
	var wg sync.WaitGroup
	for i, n := range ms {
		if n == nil {
			continue
		}
		wg.Go(func() { errs[i] = n.Notify(ctx, m) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Thread is a conversation a chat notifier started for an incident: the channel
// (an id the chat service gave) and the id of its first message (Slack's ts).
// Replies go under it; the first message is edited as the incident changes.
type Thread struct {
	Channel string `json:"channel"`
	ID      string `json:"id"`
}

// Page asks the people on call to act (PagerDuty Events v2 trigger). Key
// deduplicates: triggering the same key again updates the open alert, and
// resolving the key closes it.
type Page struct {
	Key      string // "INC-1"
	Summary  string // one line, shown on the phone
	Source   string // what is affected: "contract-api/prod"
	Severity string // SeverityCritical, SeverityWarning, SeverityInfo
	Time     time.Time
	// Links are titled URLs (dashboards, the incident channel).
	Links []Field
	// Details are shown with the alert.
	Details map[string]string
}

// Change records a change people may want to see beside an alert (PagerDuty
// change event): a deploy to production.
type Change struct {
	Summary string // "contract-api 1.12.1 serves 100% of prod"
	Source  string // "contract-api/prod"
	Time    time.Time
	Details map[string]string
}
