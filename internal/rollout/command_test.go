package rollout

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slipway/slipway/internal/analysis"
)

func cleanTraffic() *scripted {
	p := &scripted{}
	for n := 0.0; n <= 5000; n += 100 {
		p.reads = append(p.reads, analysis.Series{Requests: n})
	}
	return p
}

func TestPauseHoldsAndResumeRebaselines(t *testing.T) {
	ctx := context.Background()
	c, w, clk, _ := setup(t, cleanTraffic())
	r, _ := start(t, c, spec())
	tick(t, c, clk, r, time.Second) // baseline at 10%
	if err := c.Request(ctx, r.ID, Pause, "looking at a dashboard"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ { // far past the bake: a paused step never advances
		tick(t, c, clk, r, 10*time.Second)
	}
	if r.Phase != Paused || r.Weight != 10 {
		t.Fatalf("paused rollout: phase %s weight %d, want paused at 10", r.Phase, r.Weight)
	}
	if err := c.Request(ctx, r.ID, Pause, ""); err == nil {
		t.Errorf("pausing a paused rollout succeeded")
	}
	if err := c.Request(ctx, r.ID, Resume, ""); err != nil {
		t.Fatal(err)
	}
	tick(t, c, clk, r, time.Second)
	if r.Phase != Progressing || r.StepStarted.IsZero() || !r.StepStarted.Equal(clk.t) {
		t.Fatalf("resumed: phase %s step started %v, want progressing with a fresh baseline at %v", r.Phase, r.StepStarted, clk.t)
	}
	for i := 0; i < 10 && !r.Phase.Terminal(); i++ {
		tick(t, c, clk, r, 5*time.Second)
	}
	if r.Phase != Promoted || !cmp.Equal(w.applied, []int{10, 50, 100}) {
		t.Errorf("after resume: phase %s weights %v, want promoted through 10 50 100", r.Phase, w.applied)
	}
}

func TestPromoteAndAbortByHand(t *testing.T) {
	for _, tt := range []struct {
		action Action
		phase  Phase
		weight int
	}{{Promote, Promoted, 100}, {Abort, Aborted, 0}} {
		ctx := context.Background()
		c, w, clk, st := setup(t, cleanTraffic())
		r, _ := start(t, c, spec())
		tick(t, c, clk, r, time.Second)
		if err := c.Request(ctx, r.ID, tt.action, "on call says so"); err != nil {
			t.Fatal(err)
		}
		tick(t, c, clk, r, time.Second)
		if r.Phase != tt.phase || r.Weight != tt.weight || w.applied[len(w.applied)-1] != tt.weight {
			t.Errorf("%s: phase %s weight %d applied %v, want %s at %d", tt.action, r.Phase, r.Weight, w.applied, tt.phase, tt.weight)
		}
		if r.Reason != string(tt.action)+" by hand: on call says so" {
			t.Errorf("%s: reason %q", tt.action, r.Reason)
		}
		if err := c.Request(ctx, r.ID, Pause, ""); !errors.Is(err, ErrTerminal) {
			t.Errorf("command after %s: %v, want ErrTerminal", tt.action, err)
		}
		var cmd Command
		if err := st.Get(ctx, commandKind, r.ID, &cmd); err == nil {
			t.Errorf("%s: command still queued after it was applied", tt.action)
		}
	}
}

func TestRequestRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	c, _, _, _ := setup(t, cleanTraffic())
	r, _ := start(t, c, spec())
	if err := c.Request(ctx, r.ID, Action("skip"), ""); err == nil {
		t.Errorf("unknown action accepted")
	}
	if err := c.Request(ctx, "ro-404", Pause, ""); err == nil {
		t.Errorf("command for a missing rollout accepted")
	}
	if err := c.Request(ctx, r.ID, Resume, ""); err == nil {
		t.Errorf("resume of a progressing rollout accepted")
	}
}

func TestFailingRoutes(t *testing.T) {
	got := FailingRoutes(map[string]analysis.RouteCounts{
		"GET /healthz":                {Requests: 40},
		"POST /v1/contracts/validate": {Requests: 110, Errors: 2},
		"GET /v1/products/:id/price":  {Requests: 12, Errors: 2},
		"GET /version":                {Requests: 9, Errors: 1},
	})
	want := []RouteErrors{
		{Route: "GET /v1/products/:id/price", Requests: 12, Errors: 2},
		{Route: "POST /v1/contracts/validate", Requests: 110, Errors: 2},
		{Route: "GET /version", Requests: 9, Errors: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FailingRoutes (-want +got):\n%s", diff)
	}
}
