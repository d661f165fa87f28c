package alert

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/alert/amtest"
	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/store"
)

// TestRealAlertmanager has a real Alertmanager post to the receiver: the alert
// that fires during 1.12.0's rollout aborts it once, however often Alertmanager
// sends the group again, and its resolution is journaled.
func TestRealAlertmanager(t *testing.T) {
	w := newWorld(t)
	w.startRollout(t)
	var posts, handled atomic.Int32
	rc := &Receiver{Marks: w.st, Handle: func(ctx context.Context, a Alert) (Outcome, error) {
		handled.Add(1)
		return w.responder.Respond(ctx, a)
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		posts.Add(1)
		rc.ServeHTTP(rw, r)
	}))
	defer srv.Close()
	am := amtest.Start(t, srv.URL+"/api/v1/alertmanager", 2*time.Second)

	labels := map[string]string{"alertname": "SlipwaySLOBurnRate", "service": "contract-api", "env": "prod",
		"version": "1.12.0", "severity": "page", "slo": "availability", "tier": "page-1h"}
	fired := amtest.Alert{Labels: labels, StartsAt: rolloutAt.Add(3 * time.Minute), GeneratorURL: "http://prometheus.example/graph",
		Annotations: map[string]string{"summary": "contract-api 1.12.0 in prod burns its availability budget 14.4x too fast"}}
	am.Post(fired)

	ctx := context.Background()
	waitFor(t, "the rollout aborted", func() bool {
		var cmd rollout.Command
		return w.st.Get(ctx, "rollout.command", "r-2", &cmd) == nil && cmd.Action == rollout.Abort
	})
	// Alertmanager sends the unchanged group again every repeat interval.
	waitFor(t, "Alertmanager to send the group again", func() bool { return am.Notifications() >= 3 && posts.Load() >= 3 })
	if n := handled.Load(); n != 1 {
		t.Errorf("alerts acted on = %d after %d notifications, want 1", n, posts.Load())
	}
	evs, err := w.st.Events(ctx, store.Filter{Kinds: []string{"rollout.requested", "alert.*"}})
	must(t, err)
	if len(evs) != 2 || evs[0].Kind != "rollout.requested" || evs[1].Kind != "alert.firing" || evs[1].Rollout != "r-2" {
		t.Fatalf("journal = %+v, want one abort request and one alert.firing for r-2", evs)
	}
	if evs[0].Actor != "alertmanager" {
		t.Errorf("abort requested by %q, want alertmanager", evs[0].Actor)
	}

	fired.EndsAt = time.Now().Add(-time.Second)
	am.Post(fired)
	waitFor(t, "the resolution journaled", func() bool {
		evs, err := w.st.Events(ctx, store.Filter{Kinds: []string{"alert.resolved"}})
		return err == nil && len(evs) == 1
	})
}

// waitFor polls cond until it holds, for up to a minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
