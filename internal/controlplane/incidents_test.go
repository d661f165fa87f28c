package controlplane

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/notify/pagerduty/pagerdutytest"
	"github.com/slipway/slipway/internal/notify/slack/slacktest"
	"github.com/slipway/slipway/internal/store"
)

const (
	testSlackToken = "xoxb-plane-0000-secret"
	testRoutingKey = "R0123456789abcdef0123456789plane"
)

// The notify section wires Slack and PagerDuty into the incident manager; a
// finished promotion resolves what its version fixed, threads the resolution in
// Slack, resolves the page and, for the last environment, sends a change event.
func TestIncidentsThroughSlackAndPagerDuty(t *testing.T) {
	sl := slacktest.New(t, testSlackToken, "#deploys")
	pd := pagerdutytest.New(t, testRoutingKey)
	t.Setenv("PLANE_TEST_SLACK", testSlackToken)
	t.Setenv("PLANE_TEST_PD", testRoutingKey)
	cfg, err := config.Parse("slipway.yaml", []byte(crashConfig+`notify:
  slack: {token-env: PLANE_TEST_SLACK, channel: "#deploys", api-url: "`+sl.URL()+`"}
  pagerduty: {routing-key-env: PLANE_TEST_PD, events-url: "`+pd.URL()+`"}
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx := store.WithActor(context.Background(), store.Actor{Name: "sam", Via: "cli"})
	p, err := Open(ctx, Options{Data: t.TempDir(), Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Incidents.Chat == nil || p.Incidents.Pager == nil {
		t.Fatalf("notify.slack and notify.pagerduty configured, but chat %v, pager %v", p.Incidents.Chat, p.Incidents.Pager)
	}
	inc, err := p.Incidents.OpenFromRollback(ctx, incident.Rollback{Service: "svc", Env: "prod", Rollout: "ro-1",
		AffectedVersion: "2.0.0", StableVersion: "1.9.0", Reason: "error-rate 8% > 5%", RolledBackAt: time.Now()})
	if err != nil {
		t.Fatalf("OpenFromRollback = %v", err)
	}
	if _, err := ApplyIncident(ctx, p.Incidents, IncidentRequest{Action: IncidentUpdate, ID: inc.ID, Status: "investigating", Message: "looking"}); err != nil {
		t.Fatalf("update = %v", err)
	}
	p.resolveFixed(ctx, "prod", "2.0.1")
	inc, err = p.Incidents.Get(ctx, inc.ID)
	if err != nil || inc.Status != incident.Resolved || inc.FixVersion != "2.0.1" {
		t.Fatalf("after 2.0.1 serves prod: %s fix %q (%v), want resolved by 2.0.1", inc.Status, inc.FixVersion, err)
	}
	evs, _ := p.Store.Events(ctx, store.Filter{Incident: inc.ID, Kinds: []string{"incident.postmortem"}})
	if len(evs) == 0 {
		t.Error("the resolution did not draft the post-mortem again")
	}

	var log bytes.Buffer
	s := &service{name: "svc", plane: p, log: slog.New(slog.NewTextHandler(&log, nil))}
	s.changeEvent(ctx, store.Event{Kind: "deploy.finished", Service: "svc", Env: "prod", Version: "2.0.1", Time: time.Now(),
		Data: map[string]any{"outcome": "promoted", "previous": "1.9.0"}})
	s.changeEvent(ctx, store.Event{Kind: "deploy.finished", Service: "svc", Env: "staging", Version: "2.0.1", Time: time.Now(),
		Data: map[string]any{"outcome": "deployed"}})

	var actions []string
	for _, e := range pd.Events() {
		actions = append(actions, e.Path+" "+e.EventAction+" "+e.DedupKey)
	}
	want := []string{"/v2/enqueue trigger INC-1", "/v2/enqueue acknowledge INC-1", "/v2/enqueue resolve INC-1", "/v2/change/enqueue  "}
	if strings.Join(actions, "|") != strings.Join(want, "|") {
		t.Errorf("PagerDuty events = %q, want %q", actions, want)
	}
	var threaded int
	for _, post := range sl.Posts() {
		if post.ThreadTS != "" {
			threaded++
		}
	}
	if len(sl.Creates()) != 1 || threaded != 2 || len(sl.Updates()) != 2 {
		t.Errorf("Slack: %d channels created, %d threaded replies, %d summary edits; want 1, 2, 2", len(sl.Creates()), threaded, len(sl.Updates()))
	}
	if log.Len() > 0 {
		t.Errorf("warnings: %s", log.String())
	}
}

// A secret missing from the environment turns its channel off with a warning;
// the incident itself is unaffected.
func TestIncidentsWithoutSecrets(t *testing.T) {
	t.Setenv("PLANE_TEST_MISSING", "")
	cfg, err := config.Parse("slipway.yaml", []byte(crashConfig+`notify:
  slack: {token-env: PLANE_TEST_MISSING}
  pagerduty: {routing-key-env: PLANE_TEST_MISSING}
`))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	m := &incident.Manager{}
	if err := ConfigureIncidents(m, cfg, &out); err != nil {
		t.Fatal(err)
	}
	if m.Chat != nil || m.Pager != nil {
		t.Errorf("without secrets: chat %v, pager %v; want neither", m.Chat, m.Pager)
	}
	for _, want := range []string{"notify.slack of svc: PLANE_TEST_MISSING is not set", "notify.pagerduty of svc: PLANE_TEST_MISSING is not set"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("warnings %q lack %q", out.String(), want)
		}
	}
}

// Slack being down does not stop a rollback's bookkeeping: the incident is
// recorded and the failure journaled.
func TestAnnouncementFailureIsJournaled(t *testing.T) {
	sl := slacktest.New(t, testSlackToken)
	sl.Close()
	t.Setenv("PLANE_TEST_SLACK", testSlackToken)
	cfg, err := config.Parse("slipway.yaml", []byte(crashConfig+"notify:\n  slack: {token-env: PLANE_TEST_SLACK, api-url: \""+sl.URL()+"\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := Open(ctx, Options{Data: t.TempDir(), Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	inc, err := p.Incidents.OpenFromRollback(ctx, incident.Rollback{Service: "svc", Env: "prod", Rollout: "ro-1", AffectedVersion: "2.0.0"})
	if err == nil || inc.ID == "" {
		t.Fatalf("OpenFromRollback with Slack down = %s, %v; want the incident and an error", inc.ID, err)
	}
	if !p.announcementOnly(ctx, inc, err) {
		t.Error("announcementOnly = false for a recorded incident")
	}
	if p.announcementOnly(ctx, incident.Incident{}, errors.New("store down")) {
		t.Error("announcementOnly = true without an incident")
	}
	evs, _ := p.Store.Events(ctx, store.Filter{Kinds: []string{"incident.announce.failed"}})
	if len(evs) != 1 || !strings.Contains(evs[0].Message, "chat.postMessage") && !strings.Contains(evs[0].Message, "conversations.create") {
		t.Errorf("journal = %+v, want one incident.announce.failed naming the Slack call", evs)
	}
}

// A notify section shipped with a later release wires Slack and PagerDuty in
// without a restart; one that drops it stops them.
func TestShippedNotifyRewires(t *testing.T) {
	sl := slacktest.New(t, testSlackToken, "#deploys")
	pd := pagerdutytest.New(t, testRoutingKey)
	t.Setenv("PLANE_TEST_SLACK", testSlackToken)
	t.Setenv("PLANE_TEST_PD", testRoutingKey)
	bare, err := config.Parse("slipway.yaml", []byte(crashConfig))
	if err != nil {
		t.Fatal(err)
	}
	withNotify, err := config.Parse("slipway.yaml", []byte(crashConfig+`notify:
  slack: {token-env: PLANE_TEST_SLACK, channel: "#deploys", api-url: "`+sl.URL()+`"}
  pagerduty: {routing-key-env: PLANE_TEST_PD, events-url: "`+pd.URL()+`"}
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p, err := Open(ctx, Options{Data: t.TempDir(), Config: bare})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if p.Incidents.Chat != nil || p.Incidents.Pager != nil {
		t.Fatalf("no notify section, but chat %v, pager %v", p.Incidents.Chat, p.Incidents.Pager)
	}
	if err := p.SetConfig(ctx, withNotify); err != nil {
		t.Fatal(err)
	}
	if p.Incidents.Chat == nil || p.Incidents.Pager == nil {
		t.Errorf("notify shipped, but chat %v, pager %v", p.Incidents.Chat, p.Incidents.Pager)
	}
	if err := p.SetConfig(ctx, bare); err != nil {
		t.Fatal(err)
	}
	if p.Incidents.Chat != nil || p.Incidents.Pager != nil {
		t.Errorf("notify dropped, but chat %v, pager %v", p.Incidents.Chat, p.Incidents.Pager)
	}
}
