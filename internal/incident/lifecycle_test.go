package incident_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/notify"
	"github.com/slipway/slipway/internal/store"
)

// chat records what the manager asks of a chat conversation.
type chat struct {
	mu    sync.Mutex
	calls []string // "start INC-1", "reply C1/1 title", "edit C1/1 status"
}

func (c *chat) Start(_ context.Context, m notify.Message) (notify.Thread, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, "start "+m.Channel+" "+m.Incident)
	return notify.Thread{Channel: "C1", ID: "1.0001"}, nil
}

func (c *chat) Reply(_ context.Context, th notify.Thread, m notify.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, "reply "+th.Channel+"/"+th.ID+" "+m.Title)
	return nil
}

func (c *chat) Edit(_ context.Context, th notify.Thread, m notify.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	status := ""
	for _, f := range m.Fields {
		if f.Name == "Status" {
			status = f.Value
		}
	}
	c.calls = append(c.calls, "edit "+th.Channel+"/"+th.ID+" "+status)
	return nil
}

func (c *chat) seen() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.calls...)
}

// pager records pages.
type pager struct {
	mu    sync.Mutex
	calls []string
}

func (p *pager) Trigger(_ context.Context, pg notify.Page) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, "trigger "+pg.Key+" "+pg.Severity+" "+pg.Source)
	return nil
}

func (p *pager) Acknowledge(_ context.Context, key string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, "acknowledge "+key)
	return nil
}

func (p *pager) Resolve(_ context.Context, key string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, "resolve "+key)
	return nil
}

func person(name string) context.Context {
	return store.WithActor(context.Background(), store.Actor{Name: name, Via: "cli"})
}

// The story's incident from the rollback to its close: every step persisted,
// journaled, threaded in the chat and paged.
func TestLifecycle(t *testing.T) {
	s := openStore(t)
	storyRollout(t, s)
	now := at(10, 7, 33)
	c, p := &chat{}, &pager{}
	m := &incident.Manager{Store: s, Chat: c, Pager: p, Now: func() time.Time { return now }}
	inc, err := m.OpenForRollout(context.Background(), "ro-3")
	if err != nil {
		t.Fatalf("OpenForRollout = %v", err)
	}
	// The passing reading at 10:05 already counted a failed request; the step's
	// start at 10:00:01 none: the failure began after it, at the earliest.
	if inc.Status != incident.Mitigated || !inc.StartedAt.Equal(at(10, 0, 1)) || !inc.DetectedAt.Equal(at(10, 7, 30)) || !inc.MitigatedAt.Equal(at(10, 7, 31)) {
		t.Errorf("opened = %s started %s detected %s mitigated %s, want mitigated, 10:00:01, 10:07:30, 10:07:31", inc.Status, inc.StartedAt, inc.DetectedAt, inc.MitigatedAt)
	}
	if inc.Thread != (notify.Thread{Channel: "C1", ID: "1.0001"}) {
		t.Errorf("thread = %+v, want the one Start returned", inc.Thread)
	}

	now = at(10, 15, 0)
	inc, err = m.Update(person("maria"), inc.ID, incident.Change{Status: incident.Investigating, Text: "Looking at the failing route"})
	if err != nil {
		t.Fatalf("Update = %v", err)
	}
	if inc.Commander != "maria" || inc.Status != incident.Investigating {
		t.Errorf("after update: commander %q status %s, want maria investigating", inc.Commander, inc.Status)
	}
	if _, err := m.Update(person("maria"), inc.ID, incident.Change{Severity: "sev9"}); err == nil || !strings.Contains(err.Error(), "sev9") {
		t.Errorf("Update(severity sev9) = %v, want an error naming it", err)
	}
	if _, err := m.Close(person("maria"), inc.ID, ""); err == nil || !strings.Contains(err.Error(), "resolve it before closing") {
		t.Errorf("Close(investigating) = %v, want resolve first", err)
	}

	now = at(12, 10, 0)
	resolved, err := m.ResolveFixed(person("sam"), "contract-api", "prod", "1.12.1")
	if err != nil || len(resolved) != 1 {
		t.Fatalf("ResolveFixed(1.12.1) = %v, %v, want INC-1", resolved, err)
	}
	inc = resolved[0]
	if inc.Status != incident.Resolved || inc.FixVersion != "1.12.1" || !inc.ResolvedAt.Equal(now) {
		t.Errorf("resolved = %s fix %q at %s", inc.Status, inc.FixVersion, inc.ResolvedAt)
	}
	durations := map[string]time.Duration{}
	for name, f := range map[string]func() (time.Duration, bool){"detect": inc.TimeToDetect, "mitigate": inc.TimeToMitigate, "resolve": inc.TimeToResolve} {
		d, ok := f()
		if !ok {
			t.Errorf("time to %s unknown", name)
		}
		durations[name] = d
	}
	want := map[string]time.Duration{"detect": 7*time.Minute + 29*time.Second, "mitigate": 7*time.Minute + 30*time.Second, "resolve": 2*time.Hour + 9*time.Minute + 59*time.Second}
	if diff := cmp.Diff(want, durations); diff != "" {
		t.Errorf("response times (-want +got):\n%s", diff)
	}
	if again, err := m.ResolveFixed(context.Background(), "contract-api", "prod", "1.12.2"); err != nil || len(again) != 0 {
		t.Errorf("ResolveFixed after resolution = %v, %v, want nothing", again, err)
	}
	if _, err := m.Resolve(context.Background(), inc.ID, incident.Resolution{}); !errors.Is(err, incident.ErrResolved) {
		t.Errorf("Resolve(resolved) = %v, want ErrResolved", err)
	}

	now = at(16, 0, 0)
	inc, err = m.Close(person("maria"), inc.ID, "review held")
	if err != nil || inc.Status != incident.Closed {
		t.Fatalf("Close = %s, %v", inc.Status, err)
	}
	if _, err := m.Update(person("maria"), inc.ID, incident.Change{Text: "late note"}); !errors.Is(err, incident.ErrClosed) {
		t.Errorf("Update(closed) = %v, want ErrClosed", err)
	}

	var timeline []string
	for _, u := range inc.Updates {
		timeline = append(timeline, u.At.Format("15:04:05")+" "+u.By+" "+string(u.Status)+": "+u.Text)
	}
	wantTimeline := []string{
		"10:07:31 slipway mitigated: Rolled 1.12.0 back: 100% of traffic on 1.11.3.",
		"10:15:00 maria investigating: Looking at the failing route",
		"12:10:00 sam resolved: Fixed by 1.12.1, promoted to 100% of prod.",
		"16:00:00 maria closed: review held",
	}
	if diff := cmp.Diff(wantTimeline, timeline); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{incident.EventOpened, incident.EventMitigated, incident.EventPaged, incident.EventUpdated, incident.EventResolved, incident.EventClosed},
		kinds(t, s, store.Filter{Incident: inc.ID})); diff != "" {
		t.Errorf("journal (-want +got):\n%s", diff)
	}
	wantChat := []string{
		"start #incident-contract-api-2026-11-26 INC-1",
		"reply C1/1.0001 Incident INC-1 is investigating", "edit C1/1.0001 investigating",
		"reply C1/1.0001 Incident INC-1 resolved", "edit C1/1.0001 resolved at 12:10:00 UTC by 1.12.1",
		"reply C1/1.0001 Incident INC-1 is closed", "edit C1/1.0001 closed at 16:00:00 UTC",
	}
	if diff := cmp.Diff(wantChat, c.seen()); diff != "" {
		t.Errorf("chat (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"trigger INC-1 critical contract-api/prod", "acknowledge INC-1", "resolve INC-1"}, p.calls); diff != "" {
		t.Errorf("pager (-want +got):\n%s", diff)
	}
}

// A promotion of an older or the same version fixes nothing.
func TestResolveFixedNeedsALaterVersion(t *testing.T) {
	s := openStore(t)
	now := at(10, 0, 0)
	m := storyManager(t, s, nil, &now)
	rb := incident.Rollback{Service: "contract-api", Env: "prod", Rollout: "ro-3", AffectedVersion: "1.12.0", StableVersion: "1.11.3"}
	if _, err := m.OpenFromRollback(context.Background(), rb); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ env, version string }{{"prod", "1.11.3"}, {"prod", "1.12.0"}, {"staging", "1.12.1"}} {
		got, err := m.ResolveFixed(context.Background(), "contract-api", tt.env, tt.version)
		if err != nil || len(got) != 0 {
			t.Errorf("ResolveFixed(%s, %s) = %v, %v, want nothing resolved", tt.env, tt.version, got, err)
		}
	}
}

// A second incident the same day gets its own channel.
func TestChannelPerDayIsUnique(t *testing.T) {
	s := openStore(t)
	now := at(10, 0, 0)
	m := storyManager(t, s, nil, &now)
	var got []string
	for i, v := range []string{"1.12.0", "1.13.0", "1.14.0"} {
		rb := incident.Rollback{Service: "contract-api", Env: "prod", Rollout: "ro-" + v, AffectedVersion: v}
		now = now.Add(time.Duration(i) * time.Hour)
		inc, err := m.OpenFromRollback(context.Background(), rb)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, inc.Channel)
	}
	want := []string{"#incident-contract-api-2026-11-26", "#incident-contract-api-2026-11-26-2", "#incident-contract-api-2026-11-26-3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("channels (-want +got):\n%s", diff)
	}
}

// Records written before the lifecycle had its names read as the statuses they
// became.
func TestOldRecordsRead(t *testing.T) {
	for _, tt := range []struct {
		raw  string
		want incident.Status
	}{
		{`{"id":"INC-1","status":"stabilized","opened_at":"2026-11-26T10:07:33Z","stabilized_at":"2026-11-26T10:07:31Z"}`, incident.Mitigated},
		{`{"id":"INC-2","status":"open","opened_at":"2026-11-26T10:07:33Z"}`, incident.Investigating},
		{`{"id":"INC-3","status":"resolved","opened_at":"2026-11-26T10:07:33Z","resolved_at":"2026-11-26T12:00:00Z"}`, incident.Resolved},
	} {
		var inc incident.Incident
		if err := json.Unmarshal([]byte(tt.raw), &inc); err != nil {
			t.Fatalf("Unmarshal(%s) = %v", tt.raw, err)
		}
		if inc.Status != tt.want {
			t.Errorf("status of %s = %s, want %s", tt.raw, inc.Status, tt.want)
		}
		if inc.ID == "INC-1" && !inc.MitigatedAt.Equal(at(10, 7, 31)) {
			t.Errorf("stabilized_at read as mitigated at %s, want 10:07:31", inc.MitigatedAt)
		}
		if d, ok := inc.TimeToMitigate(); inc.ID == "INC-1" && ok {
			t.Errorf("time to mitigate of a record mitigated before it was opened = %s, want unknown", d)
		}
	}
}

// Alerts open an incident in triage; the same alert again returns it, another
// alert about the same version joins its timeline.
func TestOpenFromAlert(t *testing.T) {
	s := openStore(t)
	now := at(10, 9, 0)
	c, p := &chat{}, &pager{}
	m := &incident.Manager{Store: s, Chat: c, Pager: p, Now: func() time.Time { return now }}
	a := incident.AlertIncident{Service: "contract-api", Env: "prod", Version: "1.12.0", StableVersion: "1.11.3",
		Alert: "ErrorBudgetBurn", StartsAt: at(10, 8, 0), Summary: "error budget burning 14.4x over 1h and 5m",
		Labels: map[string]string{"severity": "page", "window": "1h"}, Severity: "page"}
	inc, err := m.OpenFromAlert(context.Background(), a)
	if err != nil {
		t.Fatalf("OpenFromAlert = %v", err)
	}
	if inc.Status != incident.Triage || inc.Severity != incident.Critical || inc.AffectedVersion != "1.12.0" || inc.Alert != "ErrorBudgetBurn" {
		t.Errorf("opened %+v", inc)
	}
	if d, ok := inc.TimeToDetect(); !ok || d != 0 {
		t.Errorf("time to detect = %s, %v; want 0 (the alert's start is the first evidence)", d, ok)
	}
	again, err := m.OpenFromAlert(context.Background(), a)
	if err != nil || again.ID != inc.ID || len(again.Updates) != 1 {
		t.Errorf("same alert again = %s with %d updates, %v; want %s unchanged", again.ID, len(again.Updates), err, inc.ID)
	}
	other := a
	other.Alert, other.Summary = "LatencyBudgetBurn", "p95 over objective"
	joined, err := m.OpenFromAlert(context.Background(), other)
	if err != nil || joined.ID != inc.ID || len(joined.Updates) != 2 {
		t.Errorf("another alert = %s with %d updates, %v; want it joined to %s", joined.ID, len(joined.Updates), err, inc.ID)
	}
	if _, err := m.OpenFromAlert(context.Background(), incident.AlertIncident{Service: "contract-api", Alert: "X"}); err == nil || !strings.Contains(err.Error(), "env, version") {
		t.Errorf("alert without env and version = %v, want an error naming them", err)
	}
	if diff := cmp.Diff([]string{"trigger INC-1 critical contract-api/prod"}, p.calls); diff != "" {
		t.Errorf("pager (-want +got):\n%s", diff)
	}
	if n := len(c.seen()); n != 3 {
		t.Errorf("chat calls = %q, want a start, then a reply and an edit for the second alert", c.seen())
	}
}

// An alert opened an incident about 1.12.0 in prod; the canary analysis then rolls
// 1.12.0 back: the rollback joins that incident instead of opening a second one,
// and the thread hears of it.
func TestRollbackJoinsTheAlertsIncident(t *testing.T) {
	s := openStore(t)
	now := at(10, 7, 33)
	c, p := &chat{}, &pager{}
	m := &incident.Manager{Store: s, Chat: c, Pager: p, Now: func() time.Time { return now }}
	alerted, err := m.OpenFromAlert(context.Background(), incident.AlertIncident{Service: "contract-api", Env: "prod", Version: "1.12.0",
		Alert: "ErrorBudgetBurn", StartsAt: at(10, 6, 0), Summary: "error budget burning 14.4x", Severity: "ticket"})
	if err != nil {
		t.Fatal(err)
	}
	storyRollout(t, s)
	inc, err := m.OpenForRollout(context.Background(), "ro-3")
	if err != nil {
		t.Fatalf("OpenForRollout = %v", err)
	}
	if inc.ID != alerted.ID || inc.Rollout != "ro-3" || !inc.RollbackExecuted || inc.Status != incident.Mitigated ||
		inc.StableVersion != "1.11.3" || !inc.StartedAt.Equal(at(10, 0, 1)) || !inc.DetectedAt.Equal(at(10, 6, 0)) || !inc.MitigatedAt.Equal(at(10, 7, 31)) {
		t.Errorf("after the rollback: %s rollout %q executed %v %s stable %s started %s detected %s mitigated %s; want %s joined, mitigated at 10:07:31, started 10:00:01, detected by the alert at 10:06",
			inc.ID, inc.Rollout, inc.RollbackExecuted, inc.Status, inc.StableVersion, inc.StartedAt, inc.DetectedAt, inc.MitigatedAt, alerted.ID)
	}
	all, err := m.List(context.Background())
	if err != nil || len(all) != 1 {
		t.Errorf("incidents = %d (%v); want the one", len(all), err)
	}
	again, err := m.OpenForRollout(context.Background(), "ro-3")
	if err != nil || again.ID != inc.ID || len(again.Updates) != len(inc.Updates) {
		t.Errorf("the same rollback again = %s with %d updates (%v); want %s unchanged", again.ID, len(again.Updates), err, inc.ID)
	}
	want := []string{"start #incident-contract-api-2026-11-26 INC-1", "reply C1/1.0001 Incident INC-1 is mitigated", "edit C1/1.0001 mitigated since 10:07:31 UTC"}
	if diff := cmp.Diff(want, c.seen()); diff != "" {
		t.Errorf("chat (-want +got):\n%s", diff)
	}
}
