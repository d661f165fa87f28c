package slack

import (
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/slipway/slipway/internal/notify"
)

// Slack's Block Kit limits.
const (
	maxHeader        = 150
	maxSectionText   = 3000
	maxSectionFields = 10
	maxFieldText     = 2000
)

// blocks lays m out: a header with the title, the text, the labelled values as
// section fields, and a context line with severity and time.
func blocks(m notify.Message) []slackapi.Block {
	out := []slackapi.Block{
		slackapi.NewHeaderBlock(slackapi.NewTextBlockObject(slackapi.PlainTextType, clip(oneLine(m.Title), maxHeader), true, false)),
	}
	if text := strings.TrimSpace(m.Text); text != "" {
		out = append(out, slackapi.NewSectionBlock(slackapi.NewTextBlockObject(slackapi.MarkdownType, clip(escape(text), maxSectionText), false, false), nil, nil))
	}
	var fields []*slackapi.TextBlockObject
	for _, f := range labelled(m) {
		fields = append(fields, slackapi.NewTextBlockObject(slackapi.MarkdownType,
			clip("*"+escape(oneLine(f.Name))+"*\n"+escape(f.Value), maxFieldText), false, false))
	}
	for len(fields) > 0 {
		n := min(len(fields), maxSectionFields)
		out = append(out, slackapi.NewSectionBlock(nil, fields[:n], nil))
		fields = fields[n:]
	}
	context := "Slipway"
	if m.Severity != "" {
		context += " · " + m.Severity
	}
	if m.Kind != "" {
		context += " · " + m.Kind
	}
	if !m.Time.IsZero() {
		context += " · " + m.Time.UTC().Format(time.RFC3339)
	}
	out = append(out, slackapi.NewContextBlock("", slackapi.NewTextBlockObject(slackapi.MarkdownType, escape(context), false, false)))
	return out
}

// fallback is the message's text, shown in notifications and by clients that do
// not render blocks: "[ALERT] Canary degradation detected | Service: contract-api | ...".
func fallback(m notify.Message) string {
	var b strings.Builder
	b.WriteString("[" + tag(m.Severity) + "] " + oneLine(m.Title))
	for _, f := range labelled(m) {
		b.WriteString(" | " + oneLine(f.Name) + ": " + oneLine(f.Value))
	}
	if text := strings.TrimSpace(m.Text); text != "" {
		b.WriteString("\n" + text)
	}
	return escape(b.String())
}

// labelled lists the message's non-empty values, the standard ones first.
func labelled(m notify.Message) []notify.Field {
	all := append([]notify.Field{
		{Name: "Service", Value: m.Service},
		{Name: "Env", Value: m.Env},
		{Name: "Version", Value: m.Version},
		{Name: "Incident", Value: m.Incident},
		{Name: "Channel", Value: m.Channel},
	}, m.Fields...)
	out := all[:0]
	for _, f := range all {
		if f.Value != "" {
			out = append(out, f)
		}
	}
	return out
}

func tag(severity string) string {
	switch severity {
	case notify.SeverityCritical:
		return "ALERT"
	case notify.SeverityWarning:
		return "WARN"
	default:
		return "INFO"
	}
}

// escape encodes the three characters Slack's mrkdwn reserves.
func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func clip(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
