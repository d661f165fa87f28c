package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/store"
)

// world is a real store holding the story's journal: 1.11.4 promoted in prod at
// 09:00, 1.12.0's rollout starting at 10:00.
type world struct {
	st        *store.Store
	responder *Responder
	opened    []string // "version: alert" per incident opened
	closed    map[string]bool
}

var (
	promotedAt = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	rolloutAt  = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
)

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &world{st: st, closed: map[string]bool{}}
	for _, e := range []store.Event{
		{Kind: "deploy.finished", Time: promotedAt, Service: "contract-api", Env: "prod", Version: "1.11.4",
			Data: map[string]any{"outcome": "promoted", "previous": "1.11.3", "rollout": "r-1"}},
		{Kind: "deploy.finished", Time: promotedAt.Add(time.Minute), Service: "contract-api", Env: "staging", Version: "1.12.0",
			Data: map[string]any{"outcome": "deployed", "previous": "1.11.4"}},
	} {
		if _, err := st.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	w.responder = &Responder{Service: "contract-api", Journal: st, Rollouts: &rollout.Controller{Store: st}, Incidents: w,
		Current: func(ctx context.Context, env string) (deploy.Deployment, error) {
			var d deploy.Deployment
			err := st.Get(ctx, "deployment", "contract-api/"+env, &d)
			return d, err
		}}
	return w
}

func (w *world) Open(_ context.Context, a Alert, c Correlation) (string, error) {
	w.opened = append(w.opened, c.Version+": "+a.Name)
	return fmt.Sprintf("INC-%d", len(w.opened)), nil
}

func (w *world) Active(_ context.Context, id string) bool { return !w.closed[id] }

// startRollout records 1.12.0's rollout in prod as the deployer does.
func (w *world) startRollout(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	r := rollout.Rollout{ID: "r-2", Phase: rollout.Progressing, Weight: 5, StartedAt: rolloutAt,
		Spec: rollout.Spec{Service: "contract-api", Env: "prod", Stable: rollout.Release{Version: "1.11.4"}, Candidate: rollout.Release{Version: "1.12.0"}}}
	must(t, w.st.Put(ctx, "rollout", r.ID, r))
	must(t, w.st.Put(ctx, "deployment", "contract-api/prod", deploy.Deployment{Service: "contract-api", Env: "prod", Version: "1.11.4",
		Pending: &deploy.Pending{Version: "1.12.0", Rollout: "r-2"}}))
	_, err := w.st.Append(ctx, store.Event{Kind: "rollout.started", Time: rolloutAt, Service: "contract-api", Env: "prod", Version: "1.12.0",
		Rollout: "r-2", Data: map[string]any{"from_version": "1.11.4", "to_version": "1.12.0"}})
	must(t, err)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func firing(name, env, version, severity string, at time.Time) Alert {
	return Alert{Source: "alertmanager", Name: name, Status: Firing, Service: "contract-api", Env: env, Version: version,
		Severity: severity, StartsAt: at, Fingerprint: Fingerprint(map[string]string{"alertname": name, "env": env, "version": version})}
}

func TestRespond(t *testing.T) {
	tests := []struct {
		name      string
		rollout   bool
		alert     Alert
		action    string
		version   string
		opened    []string
		abortedBy string // the reason queued for r-2, if aborted
	}{
		{"urgent alert during the rollout aborts it", true,
			firing("SlipwaySLOBurnRate", "prod", "1.12.0", "page", rolloutAt.Add(2*time.Minute)), ActionAborted, "1.12.0", nil, "alert SlipwaySLOBurnRate"},
		{"an alert with no version during the rollout aborts it", true,
			firing("HighErrorRate", "prod", "", "critical", rolloutAt.Add(time.Minute)), ActionAborted, "1.12.0", nil, "alert HighErrorRate"},
		{"an alert naming the stable version does not abort the candidate", true,
			firing("SlipwaySLOBurnRate", "prod", "1.11.4", "page", rolloutAt.Add(time.Minute)), ActionIncident, "1.11.4", []string{"1.11.4: SlipwaySLOBurnRate"}, ""},
		{"an alert older than the rollout is not the candidate's", true,
			firing("HighErrorRate", "prod", "", "page", rolloutAt.Add(-time.Minute)), ActionIncident, "1.11.4", []string{"1.11.4: HighErrorRate"}, ""},
		{"a ticket never aborts: an incident names the candidate", true,
			firing("SlipwaySLOBurnRate", "prod", "", "ticket", rolloutAt.Add(time.Minute)), ActionIncident, "1.12.0", []string{"1.12.0: SlipwaySLOBurnRate"}, ""},
		{"no rollout: the version promoted last before the alert", false,
			firing("HighErrorRate", "prod", "", "page", promotedAt.Add(30*time.Minute)), ActionIncident, "1.11.4", []string{"1.11.4: HighErrorRate"}, ""},
		{"another environment correlates with its own deployments", true,
			firing("HighErrorRate", "staging", "", "page", rolloutAt.Add(time.Minute)), ActionIncident, "1.12.0", []string{"1.12.0: HighErrorRate"}, ""},
		{"nothing deployed before the alert", false,
			firing("HighErrorRate", "prod", "", "page", promotedAt.Add(-time.Hour)), ActionUnmapped, "", nil, ""},
		{"an alert without env is not mapped", false,
			firing("HighErrorRate", "", "", "page", promotedAt.Add(time.Hour)), ActionUnmapped, "", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			if tc.rollout {
				w.startRollout(t)
			}
			ctx := context.Background()
			out, err := w.responder.Respond(ctx, tc.alert)
			if err != nil {
				t.Fatalf("Respond: %v", err)
			}
			if out.Action != tc.action || out.Version != tc.version {
				t.Errorf("Respond = %s %q (%s), want %s %q", out.Action, out.Version, out.Why, tc.action, tc.version)
			}
			if strings.Join(w.opened, ";") != strings.Join(tc.opened, ";") {
				t.Errorf("incidents opened = %q, want %q", w.opened, tc.opened)
			}
			var cmd rollout.Command
			err = w.st.Get(ctx, "rollout.command", "r-2", &cmd)
			switch {
			case tc.abortedBy == "" && err == nil:
				t.Errorf("rollout r-2 got command %+v, want none", cmd)
			case tc.abortedBy != "" && (err != nil || cmd.Action != rollout.Abort || !strings.HasPrefix(cmd.Reason, tc.abortedBy)):
				t.Errorf("rollout r-2 command = %+v (%v), want abort %q...", cmd, err, tc.abortedBy)
			}
			evs, err := w.st.Events(ctx, store.Filter{Kinds: []string{"alert.*"}})
			must(t, err)
			if len(evs) != 1 {
				t.Fatalf("alert events = %d, want 1", len(evs))
			}
			if tc.abortedBy != "" {
				req, err := w.st.Events(ctx, store.Filter{Kinds: []string{"rollout.requested"}})
				must(t, err)
				if len(req) != 1 || req[0].Actor != "alertmanager" || req[0].Via != "api" {
					t.Errorf("rollout.requested = %+v, want one by alertmanager via api", req)
				}
			}
		})
	}
}

func TestRespondGroupsAlertsOfOneVersion(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for i, tier := range []string{"page-1h", "page-6h", "ticket-3d"} {
		a := firing("SlipwaySLOBurnRate", "prod", "1.11.4", "page", promotedAt.Add(time.Duration(10+i)*time.Minute))
		a.Fingerprint = Fingerprint(map[string]string{"tier": tier})
		out, err := w.responder.Respond(ctx, a)
		must(t, err)
		if out.Incident != "INC-1" {
			t.Errorf("%s: incident %q, want INC-1", tier, out.Incident)
		}
	}
	w.closed["INC-1"] = true
	out, err := w.responder.Respond(ctx, firing("SlipwaySLOBurnRate", "prod", "1.11.4", "page", promotedAt.Add(time.Hour)))
	must(t, err)
	if out.Incident != "INC-2" {
		t.Errorf("after INC-1 closed: incident %q, want INC-2", out.Incident)
	}
}

// webhook is Alertmanager's version 4 body for alerts.
func webhook(status string, groupKey string, alerts ...map[string]any) []byte {
	b, _ := json.Marshal(map[string]any{
		"version": "4", "groupKey": groupKey, "truncatedAlerts": 0, "status": status, "receiver": "slipway",
		"groupLabels": map[string]string{"alertname": "SlipwaySLOBurnRate"}, "commonLabels": map[string]string{"service": "contract-api"},
		"commonAnnotations": map[string]string{}, "externalURL": "http://alertmanager:9093", "alerts": alerts,
	})
	return b
}

func amAlert(status, version, fingerprint string, at time.Time) map[string]any {
	return map[string]any{"status": status, "labels": map[string]string{"alertname": "SlipwaySLOBurnRate", "service": "contract-api",
		"env": "prod", "version": version, "severity": "page"},
		"annotations": map[string]string{"summary": "contract-api " + version + " in prod burns its availability budget 14.4x too fast"},
		"startsAt":    at.Format(time.RFC3339Nano), "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prometheus:9090/graph", "fingerprint": fingerprint}
}

func TestReceiver(t *testing.T) {
	w := newWorld(t)
	w.startRollout(t)
	var handled []string
	rc := &Receiver{Marks: w.st, Handle: func(ctx context.Context, a Alert) (Outcome, error) {
		handled = append(handled, string(a.Status)+" "+a.Version)
		return w.responder.Respond(ctx, a)
	}}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	post := func(body []byte) (int, Reply) {
		resp, err := http.Post(srv.URL, "application/json", bytes.NewReader(body))
		must(t, err)
		defer resp.Body.Close()
		var r Reply
		_ = json.NewDecoder(resp.Body).Decode(&r)
		return resp.StatusCode, r
	}
	at := rolloutAt.Add(3 * time.Minute)
	first := webhook("firing", `{}:{alertname="SlipwaySLOBurnRate"}`, amAlert("firing", "1.12.0", "a1", at))
	code, r := post(first)
	if code != 200 || len(r.Outcomes) != 1 || r.Outcomes[0].Action != ActionAborted {
		t.Fatalf("first notification = %d %+v, want 200 and the rollout aborted", code, r)
	}
	// Alertmanager repeats the notification: acknowledged, not acted on again.
	code, r = post(first)
	if code != 200 || !r.Duplicate {
		t.Errorf("repeated notification = %d %+v, want 200 duplicate", code, r)
	}
	// The group grows: only the new alert is acted on.
	code, r = post(webhook("firing", `{}:{alertname="SlipwaySLOBurnRate"}`, amAlert("firing", "1.12.0", "a1", at), amAlert("firing", "1.11.4", "a2", at)))
	if code != 200 || len(r.Outcomes) != 2 || !r.Outcomes[0].Duplicate || r.Outcomes[1].Action != ActionIncident {
		t.Errorf("grown group = %d %+v, want a1 duplicate and an incident for a2", code, r)
	}
	code, r = post(webhook("resolved", `{}:{alertname="SlipwaySLOBurnRate"}`, amAlert("resolved", "1.12.0", "a1", at)))
	if code != 200 || len(r.Outcomes) != 1 || r.Outcomes[0].Action != ActionResolved {
		t.Errorf("resolved = %d %+v, want the resolution journaled", code, r)
	}
	if got := strings.Join(handled, ","); got != "firing 1.12.0,firing 1.11.4,resolved 1.12.0" {
		t.Errorf("handled %q, want each firing and resolution once", got)
	}
	for _, bad := range []struct{ body, want string }{
		{`{"version":"3","groupKey":"g","status":"firing","alerts":[{"status":"firing","startsAt":"2026-12-01T10:00:00Z"}]}`, `version "3" is not supported`},
		{`{"version":"4","groupKey":"g","status":"burning","alerts":[]}`, `status "burning" is neither firing nor resolved; alerts is empty`},
		{`not json`, "decode Alertmanager webhook"},
	} {
		code, r := post([]byte(bad.body))
		if code != 400 || !strings.Contains(r.Error, bad.want) {
			t.Errorf("POST %s = %d %q, want 400 with %q", bad.body, code, r.Error, bad.want)
		}
	}
}

// aging is the store seen from later: DeleteOlder forgets marks as if later had come.
type aging struct {
	Marks
	later   time.Duration
	cutoffs []time.Time
}

func (a *aging) DeleteOlder(ctx context.Context, kind string, t time.Time) (int64, error) {
	a.cutoffs = append(a.cutoffs, t)
	return a.Marks.DeleteOlder(ctx, kind, t.Add(a.later))
}

// A notification repeated after MarkRetention is acted on again: the receiver
// forgot it, at most once an hour and never sooner than a week.
func TestReceiverForgetsOldMarks(t *testing.T) {
	w := newWorld(t)
	marks := &aging{Marks: w.st}
	handled := 0
	rc := &Receiver{Marks: marks, Handle: func(ctx context.Context, a Alert) (Outcome, error) {
		handled++
		return Outcome{Action: ActionIncident}, nil
	}}
	body := webhook("firing", `{}:{alertname="SlipwaySLOBurnRate"}`, amAlert("firing", "1.11.4", "a9", rolloutAt))
	post := func() {
		t.Helper()
		rec := httptest.NewRecorder()
		rc.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body)))
		if rec.Code != 200 {
			t.Fatalf("POST = %d %s", rec.Code, rec.Body)
		}
	}
	post()
	post()
	if handled != 1 || len(marks.cutoffs) != 2 {
		t.Fatalf("handled %d times with %d prunes; want once, pruned once per kind", handled, len(marks.cutoffs))
	}
	if age := time.Since(marks.cutoffs[0]); age < MarkRetention || age > MarkRetention+time.Minute {
		t.Errorf("marks pruned when older than %s; want %s", age, MarkRetention)
	}
	marks.later, rc.pruned = MarkRetention+time.Hour, time.Time{}
	post()
	if handled != 2 {
		t.Errorf("handled %d times; want the notification acted on again once its marks were a week old", handled)
	}
}
