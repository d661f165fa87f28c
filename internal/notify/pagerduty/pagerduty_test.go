package pagerduty_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/notify"
	"github.com/slipway/slipway/internal/notify/pagerduty"
	"github.com/slipway/slipway/internal/notify/pagerduty/pagerdutytest"
)

const key = "R0123456789abcdef0123456789abcde"

func newClient(t *testing.T, s *pagerdutytest.Server) *pagerduty.Client {
	t.Helper()
	c, err := pagerduty.New(key, pagerduty.WithURL(s.URL()), pagerduty.WithRetry(3, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTriggerResolveChange(t *testing.T) {
	s := pagerdutytest.New(t, key)
	c := newClient(t, s)
	ctx := context.Background()
	page := notify.Page{Key: "INC-1", Summary: "INC-1: contract-api 1.12.0 rolled back to 1.11.3 in prod", Source: "contract-api/prod",
		Severity: notify.SeverityCritical, Time: time.Date(2026, 12, 1, 10, 8, 0, 0, time.UTC),
		Details: map[string]string{"version": "1.12.0"}, Links: []notify.Field{{Name: "Incident channel", Value: "https://slack.example/archives/C1"}}}
	if err := c.Trigger(ctx, page); err != nil {
		t.Fatalf("Trigger() = %v", err)
	}
	if err := c.Acknowledge(ctx, "INC-1"); err != nil {
		t.Fatalf("Acknowledge() = %v", err)
	}
	if err := c.Resolve(ctx, "INC-1"); err != nil {
		t.Fatalf("Resolve() = %v", err)
	}
	if err := c.Change(ctx, notify.Change{Summary: "contract-api 1.12.1 serves 100% of prod", Source: "contract-api/prod", Time: page.Time}); err != nil {
		t.Fatalf("Change() = %v", err)
	}
	evs := s.Events()
	if len(evs) != 4 {
		t.Fatalf("PagerDuty got %d events, want 4", len(evs))
	}
	if ack := evs[1]; ack.EventAction != "acknowledge" || ack.DedupKey != "INC-1" {
		t.Errorf("acknowledge = %+v", ack)
	}
	evs = append(evs[:1], evs[2:]...)
	trig := evs[0]
	if trig.Path != "/v2/enqueue" || trig.EventAction != "trigger" || trig.DedupKey != "INC-1" ||
		trig.Payload["severity"] != "critical" || trig.Payload["source"] != "contract-api/prod" ||
		trig.Payload["timestamp"] != "2026-12-01T10:08:00Z" || trig.Payload["component"] != "contract-api" || trig.Payload["group"] != "prod" {
		t.Errorf("trigger = %+v", trig)
	}
	if res := evs[1]; res.EventAction != "resolve" || res.DedupKey != "INC-1" || res.Payload != nil {
		t.Errorf("resolve = %+v", res)
	}
	if ch := evs[2]; ch.Path != "/v2/change/enqueue" || ch.Payload["summary"] != "contract-api 1.12.1 serves 100% of prod" {
		t.Errorf("change = %+v", ch)
	}
}

func TestRetriesServerErrors(t *testing.T) {
	s := pagerdutytest.New(t, key)
	s.Fail(2)
	if err := newClient(t, s).Resolve(context.Background(), "INC-1"); err != nil {
		t.Fatalf("Resolve() after two 500s = %v, want delivered on the third attempt", err)
	}
	s.Fail(3)
	err := newClient(t, s).Resolve(context.Background(), "INC-2")
	if err == nil || !strings.Contains(err.Error(), "server error (500)") || strings.Contains(err.Error(), key) {
		t.Errorf("Resolve() after three 500s = %v, want the server error without the key", err)
	}
}

func TestRejects(t *testing.T) {
	if _, err := pagerduty.New(" "); err == nil || !strings.Contains(err.Error(), "integration key") {
		t.Errorf("New(empty key) = %v", err)
	}
	if _, err := pagerduty.New(key, pagerduty.WithURL("events.example")); err == nil {
		t.Error("New(URL without scheme) = nil error")
	}
	s := pagerdutytest.New(t, key)
	c := newClient(t, s)
	if err := c.Trigger(context.Background(), notify.Page{Key: "INC-1"}); err == nil {
		t.Error("Trigger(no summary) = nil error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Resolve(ctx, "INC-1"); err == nil || !strings.Contains(err.Error(), "canceled") {
		t.Errorf("Resolve(cancelled) = %v", err)
	}
	if n := len(s.Events()); n != 0 {
		t.Errorf("%d events delivered, want none", n)
	}
}
