// Package notifytest is the conformance suite every notify.Notifier runs, the way
// testing/fstest checks any fs.FS.
package notifytest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slipway/slipway/internal/notify"
)

// Received reports what the sink behind a notifier has accepted so far: one string
// per delivered message, in the sink's own decoded text (a console block, a webhook
// body, the fields of a Slack chat.postMessage request). It is called only after the
// Notify calls of a check have returned.
type Received func() []string

// NewFunc builds a fresh notifier and its sink for one check.
type NewFunc func(t *testing.T) (notify.Notifier, Received)

// Run checks that the notifiers built by newNotifier deliver every field of a
// message, reject a message without a title, give up on a cancelled context without
// delivering, and deliver concurrent messages whole.
func Run(t *testing.T, newNotifier NewFunc) {
	t.Helper()
	t.Run("AllFields", func(t *testing.T) { testAllFields(t, newNotifier) })
	t.Run("TitleOnly", func(t *testing.T) { testTitleOnly(t, newNotifier) })
	t.Run("MissingTitle", func(t *testing.T) { testMissingTitle(t, newNotifier) })
	t.Run("CancelledContext", func(t *testing.T) { testCancelled(t, newNotifier) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newNotifier) })
}

// Full returns a message with every field set to a distinctive value. Tests of a
// single implementation may use it too.
func Full() notify.Message {
	return notify.Message{
		Kind:     notify.KindRollback,
		Severity: notify.SeverityCritical,
		Title:    "Canary degradation detected",
		Text:     "error rate above SLO on the canary\ntraffic moved back to 1.11.3",
		Service:  "contract-api",
		Env:      "prod",
		Version:  "1.12.0",
		Incident: "INC-7",
		Channel:  "#incident-contract-api-2026-11-26",
		Fields: []notify.Field{
			{Name: "Action", Value: "rollback initiated"},
			{Name: "error_rate", Value: "0.083 (threshold 0.01)"},
		},
		Time: time.Date(2026, 11, 26, 10, 8, 0, 0, time.UTC),
	}
}

// wanted lists the strings a delivery of m must contain.
func wanted(m notify.Message) []string {
	want := []string{m.Title, m.Service, m.Env, m.Version, m.Incident, m.Channel}
	want = append(want, strings.Split(m.Text, "\n")...)
	for _, f := range m.Fields {
		want = append(want, f.Name, f.Value)
	}
	if !m.Time.IsZero() {
		want = append(want, m.Time.UTC().Format(time.RFC3339))
	}
	var out []string
	for _, w := range want {
		if w != "" {
			out = append(out, w)
		}
	}
	return out
}

func testAllFields(t *testing.T, newNotifier NewFunc) {
	n, received := newNotifier(t)
	m := Full()
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatalf("Notify(full message) = %v, want nil", err)
	}
	got := received()
	if len(got) != 1 {
		t.Fatalf("after one Notify the sink holds %d messages, want 1: %q", len(got), got)
	}
	for _, w := range wanted(m) {
		if !strings.Contains(got[0], w) {
			t.Errorf("delivered message lacks %q:\n%s", w, got[0])
		}
	}
}

func testTitleOnly(t *testing.T, newNotifier NewFunc) {
	n, received := newNotifier(t)
	m := notify.Message{Title: "Run 42 failed"}
	if err := n.Notify(context.Background(), m); err != nil {
		t.Fatalf("Notify(title only) = %v, want nil", err)
	}
	got := received()
	if len(got) != 1 || !strings.Contains(got[0], m.Title) {
		t.Fatalf("sink holds %q, want one message containing %q", got, m.Title)
	}
}

func testMissingTitle(t *testing.T, newNotifier NewFunc) {
	n, received := newNotifier(t)
	m := Full()
	m.Title = "  "
	if err := n.Notify(context.Background(), m); err == nil {
		t.Fatal("Notify(message without title) = nil, want an error")
	}
	if got := received(); len(got) != 0 {
		t.Errorf("a message without title reached the sink: %q", got)
	}
}

func testCancelled(t *testing.T, newNotifier NewFunc) {
	n, received := newNotifier(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := n.Notify(ctx, Full())
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Notify(cancelled ctx) = %v, want an error wrapping context.Canceled", err)
	}
	if got := received(); len(got) != 0 {
		t.Errorf("a message sent with a cancelled context reached the sink: %q", got)
	}
}

func testConcurrent(t *testing.T, newNotifier NewFunc) {
	n, received := newNotifier(t)
	const count = 12
	var wg sync.WaitGroup
	errs := make([]error, count)
	for i := range count {
		wg.Go(func() {
			m := Full()
			m.Title = fmt.Sprintf("concurrent message %02d", i)
			m.Fields = append(m.Fields, notify.Field{Name: "seq", Value: fmt.Sprintf("seq-%02d", i)})
			errs[i] = n.Notify(context.Background(), m)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Notify(message %d) = %v, want nil", i, err)
		}
	}
	got := received()
	if len(got) != count {
		t.Fatalf("sink holds %d messages after %d concurrent Notify calls, want %d", len(got), count, count)
	}
	seen := make(map[int]bool)
	for _, body := range got {
		var ids []int
		for i := range count {
			if strings.Contains(body, fmt.Sprintf("concurrent message %02d", i)) {
				ids = append(ids, i)
				if !strings.Contains(body, fmt.Sprintf("seq-%02d", i)) {
					t.Errorf("message %d was delivered without its own fields (interleaved?):\n%s", i, body)
				}
			}
		}
		if len(ids) != 1 {
			t.Errorf("one delivery holds messages %v, want exactly one:\n%s", ids, body)
			continue
		}
		seen[ids[0]] = true
	}
	want := make(map[int]bool)
	for i := range count {
		want[i] = true
	}
	if diff := cmp.Diff(want, seen); diff != "" {
		t.Errorf("delivered messages (-want +got):\n%s", diff)
	}
}
