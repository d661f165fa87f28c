package webhook

import (
	"time"

	"github.com/slipway/slipway/internal/notify"
)

// Schema names the payload version. Fields may be added within a version; none is
// renamed or removed.
const Schema = "slipway.notification/v1"

// Payload is the JSON object POSTed for each message. Every key is always present
// (empty string or empty list when unset), so receivers need no null checks:
//
//	{
//	  "schema": "slipway.notification/v1",
//	  "kind": "rollback",
//	  "severity": "critical",
//	  "title": "Canary degradation detected",
//	  "text": "error rate above SLO on the canary",
//	  "service": "contract-api",
//	  "env": "prod",
//	  "version": "1.12.0",
//	  "incident": "INC-1",
//	  "channel": "#incident-contract-api-2026-11-26",
//	  "fields": [{"name": "Action", "value": "rollback initiated"}],
//	  "time": "2026-11-26T10:08:00Z"
//	}
type Payload struct {
	Schema   string         `json:"schema"`
	Kind     string         `json:"kind"`
	Severity string         `json:"severity"`
	Title    string         `json:"title"`
	Text     string         `json:"text"`
	Service  string         `json:"service"`
	Env      string         `json:"env"`
	Version  string         `json:"version"`
	Incident string         `json:"incident"`
	Channel  string         `json:"channel"`
	Fields   []PayloadField `json:"fields"`
	// Time is RFC 3339 in UTC, or "" when the message has no time.
	Time string `json:"time"`
}

// PayloadField is one labelled value.
type PayloadField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// NewPayload converts a message to its wire form. An empty severity becomes
// "info".
func NewPayload(m notify.Message) Payload {
	p := Payload{
		Schema:   Schema,
		Kind:     m.Kind,
		Severity: m.Severity,
		Title:    m.Title,
		Text:     m.Text,
		Service:  m.Service,
		Env:      m.Env,
		Version:  m.Version,
		Incident: m.Incident,
		Channel:  m.Channel,
		Fields:   make([]PayloadField, 0, len(m.Fields)),
	}
	if p.Severity == "" {
		p.Severity = notify.SeverityInfo
	}
	for _, f := range m.Fields {
		p.Fields = append(p.Fields, PayloadField{Name: f.Name, Value: f.Value})
	}
	if !m.Time.IsZero() {
		p.Time = m.Time.UTC().Format(time.RFC3339Nano)
	}
	return p
}
