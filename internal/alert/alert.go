// Package alert maps alerts to what was deployed when they started, and acts: a
// rollout in progress is aborted, otherwise an incident is opened naming the
// version that correlates. Alerts come from Alertmanager through its webhook
// (see [Receiver]) or from Slipway's own burn-rate evaluation (package slo); both
// take the same path through [Responder].
package alert

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"time"
)

// Status is whether an alert fires or has resolved.
type Status string

// Statuses, as Alertmanager writes them.
const (
	Firing   Status = "firing"
	Resolved Status = "resolved"
)

// Labels Slipway reads from an alert to map it to a deployment.
const (
	LabelService  = "service"
	LabelEnv      = "env"
	LabelVersion  = "version"
	LabelSeverity = "severity"
	LabelName     = "alertname"
)

// Alert is one alert, wherever it came from.
type Alert struct {
	// Source is alertmanager or slipway.
	Source string `json:"source"`
	// Name is the alert's name (alertname).
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Severity is the severity label: page and critical may abort a rollout;
	// ticket, warning and info open an incident only.
	Severity string `json:"severity,omitempty"`
	Service  string `json:"service"`
	Env      string `json:"env"`
	// Version is the version label, when the alert names one.
	Version  string    `json:"version,omitempty"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at,omitzero"`
	// Summary is the summary annotation, else the description.
	Summary string `json:"summary,omitempty"`
	// Fingerprint identifies the alert's label set; with StartsAt, one firing.
	Fingerprint string `json:"fingerprint"`
	// URL links to what generated it (a Prometheus graph).
	URL    string            `json:"url,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
}

// Urgent reports whether the alert wakes someone: severity page or critical, or
// none given. Only an urgent alert aborts a rollout.
func (a Alert) Urgent() bool {
	switch strings.ToLower(a.Severity) {
	case "", "page", "critical", "error":
		return true
	}
	return false
}

// Title is one line naming the alert.
func (a Alert) Title() string {
	t := a.Name
	if a.Summary != "" {
		t += ": " + a.Summary
	}
	return t
}

// Fingerprint computes a stable identity for a label set, for alerts that carry
// none.
func Fingerprint(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		h.Write([]byte(k))
		h.Write([]byte{0})
		h.Write([]byte(labels[k]))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
