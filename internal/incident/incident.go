// Package incident opens incidents when a canary is rolled back or an SLO alert
// fires, carries them through their lifecycle (triage, investigating, mitigated,
// resolved, closed) in the store with a timeline of people's updates, announces
// them through a notifier, a chat conversation and a pager, and renders a
// blameless post-mortem draft from the event journal.
package incident

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/notify"
	"github.com/slipway/slipway/internal/store"
)

// Incident is one production problem, from its first failure to its review.
type Incident struct {
	ID       string `json:"id"` // "INC-1"
	Service  string `json:"service"`
	Env      string `json:"env"`
	Title    string `json:"title"`
	Status   Status `json:"status"`
	Severity string `json:"severity"` // critical, warning or info (see ParseSeverity)
	// Channel is the chat channel for the incident: "#incident-contract-api-2026-11-26",
	// with "-2", "-3" appended when that service already had an incident that day.
	Channel string `json:"channel"`
	// Commander is the person leading the response: the first person to post an
	// update, unless one is named.
	Commander string `json:"commander,omitempty"`

	// StartedAt is when the failure began, at the earliest the journal allows: for a
	// canary, the last reading without a failed request before the first with one
	// (so the response times are upper bounds, never a reading's rounding short);
	// for an alert, when it started. Zero when unknown.
	StartedAt time.Time `json:"started_at,omitzero"`
	// DetectedAt is when Slipway judged the version bad or the alert reached it.
	DetectedAt time.Time `json:"detected_at,omitzero"`
	// OpenedAt is when the incident was recorded.
	OpenedAt time.Time `json:"opened_at"`
	// MitigatedAt is when the impact stopped: traffic back on the stable version.
	MitigatedAt time.Time `json:"mitigated_at,omitzero"`
	// ResolvedAt is when the cause was fixed (a fix promoted, or a person said so).
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	// ClosedAt is when the review was done and the incident closed.
	ClosedAt time.Time `json:"closed_at,omitzero"`

	AffectedVersion string   `json:"affected_version"`
	StableVersion   string   `json:"stable_version"`
	Rollout         string   `json:"rollout"`
	Metrics         []Metric `json:"metrics"`
	// Alert names the alert that opened the incident, when one did, and Labels
	// are its labels.
	Alert  string            `json:"alert,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`

	// Reason is why the rollout controller rolled back, in its words.
	Reason           string `json:"reason,omitempty"`
	RollbackExecuted bool   `json:"rollback_executed"`
	Summary          string `json:"summary"`
	// FixVersion is the version whose promotion resolved the incident.
	FixVersion string `json:"fix_version,omitempty"`
	// Resolution is the note given when the incident was resolved.
	Resolution string `json:"resolution,omitempty"`
	// Updates is the timeline people and Slipway wrote, oldest first.
	Updates []Update `json:"updates,omitempty"`
	// Thread is the incident's chat conversation, once announced there.
	Thread notify.Thread `json:"thread,omitzero"`
}

// Update is one entry of the incident's timeline: who said what, and the status
// it moved the incident to (empty when the status did not change).
type Update struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Text   string    `json:"text"`
	Status Status    `json:"status,omitempty"`
}

// UnmarshalJSON reads incidents written before the lifecycle had its current
// names: stabilized_at becomes MitigatedAt (and the status is mapped by Status).
func (inc *Incident) UnmarshalJSON(b []byte) error {
	type plain Incident
	var v struct {
		plain
		StabilizedAt time.Time `json:"stabilized_at,omitzero"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*inc = Incident(v.plain)
	if inc.MitigatedAt.IsZero() {
		inc.MitigatedAt = v.StabilizedAt
	}
	return nil
}

// TimeToDetect is from the first failure to its detection. The three response
// times are measured from the incident's first evidence of failure (StartedAt,
// else DetectedAt, else OpenedAt); ok is false while the end is not reached.
func (inc Incident) TimeToDetect() (time.Duration, bool) {
	end := inc.DetectedAt
	if end.IsZero() {
		end = inc.OpenedAt
	}
	return inc.since(end)
}

// TimeToMitigate is from the first failure to traffic back on a good version.
func (inc Incident) TimeToMitigate() (time.Duration, bool) { return inc.since(inc.MitigatedAt) }

// TimeToResolve is from the first failure to the fix.
func (inc Incident) TimeToResolve() (time.Duration, bool) { return inc.since(inc.ResolvedAt) }

func (inc Incident) since(end time.Time) (time.Duration, bool) {
	start := inc.StartedAt
	for _, t := range []time.Time{inc.DetectedAt, inc.OpenedAt} {
		if start.IsZero() {
			start = t
		}
	}
	if start.IsZero() || end.IsZero() || end.Before(start) {
		return 0, false
	}
	return end.Sub(start), true
}

// Metric is one impacted metric as analysis measured it.
type Metric struct {
	Name      string  `json:"name"`
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	Unit      string  `json:"unit,omitempty"`
	Samples   float64 `json:"samples"` // requests observed
	Errors    float64 `json:"errors"`  // failed requests among them
}

// Rollback is what the rollout controller reports when it rolled a canary back.
// RollbackFromEvent builds one from a rollout.rolledback journal event.
type Rollback struct {
	Service, Env, Rollout, AffectedVersion, StableVersion, Reason string
	Metrics                                                       []Metric
	RolledBackAt                                                  time.Time
	// FailedAt is when the candidate began to fail, at the earliest: the last
	// reading that counted none of its failed requests before the first that did;
	// DetectedAt the verdict that decided to roll back. Zero when unknown.
	FailedAt, DetectedAt time.Time
}

// Store is the part of the Slipway store the manager uses.
type Store interface {
	Append(ctx context.Context, e store.Event) (store.Event, error)
	Events(ctx context.Context, f store.Filter) ([]store.Event, error)
	Put(ctx context.Context, kind, id string, v any) error
	Get(ctx context.Context, kind, id string, v any) error
	List(ctx context.Context, kind string, fn func(id string, raw json.RawMessage) error) error
	NextSeq(ctx context.Context, name string) (int64, error)
}

// Notifier announces incidents; notify.Multi of console, webhook and Slack fits.
type Notifier interface {
	Notify(ctx context.Context, m notify.Message) error
}

// Errors callers match with errors.Is.
var (
	ErrNotFound = errors.New("incident not found")
	ErrResolved = errors.New("incident already resolved")
	ErrClosed   = errors.New("incident closed")
)

// Record kinds in the store.
const (
	recordKind    = "incident"
	byRolloutKind = "incident.rollout" // rollout id -> incident id
	byAlertKind   = "incident.alert"   // service/env/version/alert -> incident id
)

// Journal event kinds written by the manager.
const (
	EventOpened    = "incident.opened"
	EventMitigated = "incident.mitigated"
	EventAnnounced = "incident.announced"
	EventUpdated   = "incident.updated"
	EventResolved  = "incident.resolved"
	EventClosed    = "incident.closed"
	EventPaged     = "incident.paged"
	// EventStabilized is what incident.mitigated was called in older journals.
	//
	// Deprecated: incidents record EventMitigated.
	EventStabilized = "incident.stabilized"
)

var unsafeChannelChars = regexp.MustCompile(`[^a-z0-9_-]+`)

// ChannelName is the chat channel of an incident of service opened at t:
// "#incident-<service>-<yyyy-mm-dd>" (UTC date), lowercased, with characters Slack
// does not allow in channel names replaced by "-", at most 80 characters.
// The manager appends "-2", "-3"... when the name is taken (see channelFor).
func ChannelName(service string, t time.Time) string { return channelName(service, t, 1) }

// channelName is the n-th channel of service on t's day.
func channelName(service string, t time.Time, n int) string {
	s := unsafeChannelChars.ReplaceAllString(strings.ToLower(service), "-")
	s = strings.Trim(s, "-")
	suffix := t.UTC().Format("2006-01-02")
	if n > 1 {
		suffix += fmt.Sprintf("-%d", n)
	}
	// Slack allows 80 characters, "#" excluded.
	if max := 80 - len("incident--") - len(suffix); len(s) > max {
		s = strings.TrimRight(s[:max], "-")
	}
	return "#incident-" + s + "-" + suffix
}
