package console_test

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slipway/slipway/internal/notify"
	"github.com/slipway/slipway/internal/notify/console"
	"github.com/slipway/slipway/internal/notify/notifytest"
)

// lockedBuffer lets the suite read what was written while Notify may still run.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) blocks() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for block := range strings.SplitSeq(b.buf.String(), "\n\n") {
		if block != "" {
			out = append(out, block)
		}
	}
	return out
}

func TestConformance(t *testing.T) {
	notifytest.Run(t, func(t *testing.T) (notify.Notifier, notifytest.Received) {
		var buf lockedBuffer
		return console.New(&buf), buf.blocks
	})
}

func TestFormat(t *testing.T) {
	at := time.Date(2026, 11, 26, 10, 8, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		m    notify.Message
		want string
	}{
		{
			name: "story alert",
			m: notify.Message{
				Severity: notify.SeverityCritical, Title: "Canary degradation detected",
				Service: "contract-api", Version: "1.12.0",
				Fields: []notify.Field{{Name: "Action", Value: "rollback initiated"}},
				Time:   at,
			},
			want: "2026-11-26T09:08:00Z [ALERT] Canary degradation detected | Service: contract-api | Version: 1.12.0 | Action: rollback initiated\n\n",
		},
		{
			name: "text lines indented, blank lines kept non-empty",
			m:    notify.Message{Severity: notify.SeverityWarning, Title: "Run 42\nfailed", Text: "step test failed\n\nsee logs\n"},
			want: "[WARN] Run 42 failed\n  step test failed\n  \n  see logs\n\n",
		},
		{
			name: "info by default, empty values skipped",
			m:    notify.Message{Title: "Promoted", Env: "prod", Fields: []notify.Field{{Name: "Empty"}, {Name: "Weight", Value: "100%"}}},
			want: "[INFO] Promoted | Env: prod | Weight: 100%\n\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, console.Format(tt.m)); diff != "" {
				t.Errorf("Format() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestNotifyWriteError(t *testing.T) {
	err := console.New(failingWriter{}).Notify(t.Context(), notify.Message{Title: "x"})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Notify() = %v, want the write error", err)
	}
}
