// Package incident opens incidents when a canary is rolled back, keeps their status
// (open, stabilized, resolved) in the store, announces them through a notifier and
// renders a blameless post-mortem draft from the event journal.
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

// Status is where an incident stands.
type Status string

// Statuses, in the order an incident goes through them.
const (
	// Open: the problem is live.
	Open Status = "open"
	// Stabilized: the impact has stopped (traffic is back on the stable version),
	// the cause is still being worked on.
	Stabilized Status = "stabilized"
	// Resolved: the incident is closed.
	Resolved Status = "resolved"
)

// Terminal reports whether s is the last status.
func (s Status) Terminal() bool { return s == Resolved }

// Incident is one production problem, from detection to resolution.
type Incident struct {
	ID       string `json:"id"` // "INC-1"
	Service  string `json:"service"`
	Env      string `json:"env"`
	Title    string `json:"title"`
	Status   Status `json:"status"`
	Severity string `json:"severity"` // notify.SeverityCritical in prod, notify.SeverityWarning elsewhere
	// Channel is the chat channel for the incident: "#incident-contract-api-2026-11-26".
	Channel      string    `json:"channel"`
	OpenedAt     time.Time `json:"opened_at"`
	StabilizedAt time.Time `json:"stabilized_at,omitzero"`
	ResolvedAt   time.Time `json:"resolved_at,omitzero"`

	AffectedVersion string   `json:"affected_version"`
	StableVersion   string   `json:"stable_version"`
	Rollout         string   `json:"rollout"`
	Metrics         []Metric `json:"metrics"`

	// Reason is why the rollout controller rolled back, in its words.
	Reason           string `json:"reason,omitempty"`
	RollbackExecuted bool   `json:"rollback_executed"`
	Summary          string `json:"summary"`
	// Resolution is the note given when the incident was resolved.
	Resolution string `json:"resolution,omitempty"`
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
)

// Record kinds in the store.
const (
	recordKind    = "incident"
	byRolloutKind = "incident.rollout" // rollout id -> incident id
)

// Journal event kinds written by the manager.
const (
	EventOpened     = "incident.opened"
	EventStabilized = "incident.stabilized"
	EventAnnounced  = "incident.announced"
	EventResolved   = "incident.resolved"
)

var unsafeChannelChars = regexp.MustCompile(`[^a-z0-9_-]+`)

// ChannelName is the chat channel of an incident of service opened at t:
// "#incident-<service>-<yyyy-mm-dd>" (UTC date), lowercased, with characters Slack
// does not allow in channel names replaced by "-", at most 80 characters.
func ChannelName(service string, t time.Time) string {
	s := unsafeChannelChars.ReplaceAllString(strings.ToLower(service), "-")
	s = strings.Trim(s, "-")
	date := t.UTC().Format("2006-01-02")
	// Slack allows 80 characters, "#" excluded.
	if max := 80 - len("incident--") - len(date); len(s) > max {
		s = strings.TrimRight(s[:max], "-")
	}
	return "#incident-" + s + "-" + date
}

func (rb Rollback) validate() error {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"service", rb.Service}, {"env", rb.Env}, {"rollout", rb.Rollout}, {"affected version", rb.AffectedVersion},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("rollback report lacks %s: the rollout controller must set them", strings.Join(missing, ", "))
	}
	return nil
}

// RollbackFromEvent reads a rollout.rolledback journal event (data: reason,
// stable_version, checks) into a Rollback. Its metrics are the failed checks, or
// every check when none is marked failed.
func RollbackFromEvent(e store.Event) (Rollback, error) {
	if e.Kind != "rollout.rolledback" {
		return Rollback{}, fmt.Errorf("event %d is %s, want rollout.rolledback", e.ID, e.Kind)
	}
	d, err := decodeData(e)
	if err != nil {
		return Rollback{}, err
	}
	rb := Rollback{
		Service: e.Service, Env: e.Env, Rollout: e.Rollout, AffectedVersion: e.Version,
		StableVersion: d.StableVersion, Reason: d.Reason, RolledBackAt: e.Time,
	}
	rb.Metrics = failedMetrics(d.Checks)
	if err := rb.validate(); err != nil {
		return Rollback{}, fmt.Errorf("event %d: %w", e.ID, err)
	}
	return rb, nil
}

// failedMetrics turns the failed checks (or all, when none failed) into metrics.
func failedMetrics(checks []check) []Metric {
	var failed, all []Metric
	for _, c := range checks {
		m := Metric{Name: c.Metric, Value: c.Value, Threshold: c.Threshold, Samples: c.Samples, Errors: c.Errors}
		all = append(all, m)
		if c.result() == "fail" {
			failed = append(failed, m)
		}
	}
	if len(failed) > 0 {
		return failed
	}
	return all
}
