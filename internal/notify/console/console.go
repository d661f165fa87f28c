// Package console writes notifications as readable text blocks to a writer,
// usually the terminal Slipway runs in. It is always on: people watching the
// command see what Slack and webhooks receive.
package console

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/slipway/slipway/internal/notify"
)

// Notifier writes each message as one block: a header line with the time, a tag
// from the severity, the title and the labelled values, then the text indented,
// then an empty line.
//
//	2026-11-26T10:08:00Z [ALERT] Canary degradation detected | Service: contract-api | Version: 1.12.0 | Action: rollback initiated
//	  error rate above SLO on the canary
type Notifier struct {
	mu sync.Mutex
	w  io.Writer
}

var _ notify.Notifier = (*Notifier)(nil)

// New returns a Notifier writing to w. Writes are serialised, so w need not be
// safe for concurrent use.
func New(w io.Writer) *Notifier {
	return &Notifier{w: w}
}

// Notify writes m to the writer in a single Write call.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("console notify %q: %w", m.Title, err)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("console notify: %w", err)
	}
	block := Format(m)
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, err := io.WriteString(n.w, block); err != nil {
		return fmt.Errorf("console notify %q: %w", m.Title, err)
	}
	return nil
}

// Format renders m as the block Notify writes. The block ends with an empty line
// and holds no other empty line, so a stream of blocks splits on "\n\n".
func Format(m notify.Message) string {
	var b strings.Builder
	if !m.Time.IsZero() {
		b.WriteString(m.Time.UTC().Format(time.RFC3339))
		b.WriteByte(' ')
	}
	b.WriteString("[" + tag(m.Severity) + "] ")
	b.WriteString(oneLine(m.Title))
	labelled := []notify.Field{
		{Name: "Service", Value: m.Service},
		{Name: "Env", Value: m.Env},
		{Name: "Version", Value: m.Version},
		{Name: "Incident", Value: m.Incident},
		{Name: "Channel", Value: m.Channel},
	}
	for _, f := range append(labelled, m.Fields...) {
		if f.Value == "" {
			continue
		}
		b.WriteString(" | " + oneLine(f.Name) + ": " + oneLine(f.Value))
	}
	b.WriteByte('\n')
	if text := strings.TrimRight(m.Text, "\n"); text != "" {
		for line := range strings.SplitSeq(text, "\n") {
			b.WriteString("  " + strings.TrimRight(line, " \t\r") + "\n")
		}
	}
	b.WriteByte('\n')
	return b.String()
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

// oneLine keeps a value on the header line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
