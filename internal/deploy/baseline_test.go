package deploy

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/router"
	"github.com/slipway/slipway/internal/runtime"
)

// TestBaselineRunsBesideTheCandidate deploys 1.1.0 over 1.0.0: while the rollout
// runs, two fresh instances of 1.0.0's digest serve as its baseline with the
// candidate's share of traffic, on the baseline track; once 1.1.0 is promoted they
// are gone and the router no longer sends them anything.
func TestBaselineRunsBesideTheCandidate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustDeploy("prod", "1.0.0", Options{}, Deployed)
	first := e.current("prod")
	e.traffic("prod")

	type seen struct {
		dep Deployment
		cfg router.Config
	}
	during := make(chan seen, 1)
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); <-tick.C {
			dep, err := e.d.Current(ctx, "prod")
			if err != nil || dep.Pending == nil {
				continue
			}
			if cfg := e.routes("prod"); slices.ContainsFunc(cfg.Backends, func(b router.Backend) bool { return b.Track == router.TrackBaseline }) {
				during <- seen{dep, cfg}
				return
			}
		}
		close(during)
	}()
	e.mustDeploy("prod", "1.1.0", Options{}, Promoted)
	mid, ok := <-during
	if !ok {
		t.Fatal("no baseline seen in the router while 1.1.0 rolled out")
	}
	base := mid.dep.Pending.Baseline
	if len(base) != 2 {
		t.Fatalf("baseline %+v, want 2 instances like the candidate", base)
	}
	for _, in := range base {
		if in.Version != "1.0.0" || slices.ContainsFunc(first.Instances, func(s runtime.Instance) bool { return s.ID == in.ID }) {
			t.Errorf("baseline instance %+v: want a fresh instance of 1.0.0", in)
		}
	}
	weights := map[string]int{}
	for _, b := range mid.cfg.Backends {
		weights[b.Version+"/"+b.Track] += b.Weight
	}
	if weights["1.0.0/"+router.TrackBaseline] != weights["1.1.0/"] || weights["1.1.0/"] != 50 {
		t.Errorf("split during the 50%% step %v; want the baseline to carry what the candidate carries", weights)
	}
	r, err := e.d.Rollouts.Load(ctx, mid.dep.Pending.Rollout)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Baseline.Instances(), urls(base)) || r.Baseline.Digest != first.Digest {
		t.Errorf("rollout baseline %+v, want %v at digest %s", r.Baseline, urls(base), first.Digest)
	}
	if evs := e.events("deploy.baseline"); len(evs) != 1 || evs[0].Data["baseline"] != true {
		t.Errorf("deploy.baseline events %+v, want one saying it started", evs)
	}
	waitGone(t, "baseline after the promotion", base)
	if cfg := e.routes("prod"); slices.ContainsFunc(cfg.Backends, func(b router.Backend) bool { return b.Track == router.TrackBaseline }) {
		t.Errorf("router still routes to a baseline after the promotion: %+v", cfg.Backends)
	}
}

// TestRestoreAdoptsALiveBaseline stops the control plane's deploy mid-rollout: the
// baseline's processes still answer, so Restore keeps them and the rollout goes on
// comparing against them.
func TestRestoreAdoptsALiveBaseline(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustDeploy("prod", "1.0.0", Options{}, Deployed)
	e.traffic("prod")
	e.stopMidRollout("prod", "1.1.0")
	mid := e.current("prod")
	if len(mid.Pending.Baseline) != 2 {
		t.Fatalf("pending %+v, want a baseline of 2", mid.Pending)
	}
	dep, err := e.d.Restore(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(urls(dep.Pending.Baseline), urls(mid.Pending.Baseline)) {
		t.Fatalf("restored baseline %v, want the live one %v adopted", urls(dep.Pending.Baseline), urls(mid.Pending.Baseline))
	}
	r, err := e.d.Rollouts.Load(ctx, dep.Pending.Rollout)
	if err != nil || !r.HasBaseline() {
		t.Fatalf("rollout %+v, %v; want it still judged against the baseline", r, err)
	}
	results, err := e.d.Resume(ctx)
	if err != nil || len(results) != 1 || results[0].Outcome != Promoted {
		t.Fatalf("Resume = %+v, %v; want 1.1.0 promoted", results, err)
	}
	waitGone(t, "adopted baseline after the promotion", mid.Pending.Baseline)
}

// TestNoRoomNoBaseline: a machine without memory for a baseline rolls out against
// the stable, and the journal says why.
func TestNoRoomNoBaseline(t *testing.T) {
	e := newEnv(t)
	e.d.Room = func(like []runtime.Instance, n int) error {
		if len(like) != 2 || n != 2 {
			t.Errorf("room asked for %d like %d stable instances; want 2 like 2", n, len(like))
		}
		return fitRoom(300<<20, 1000<<20, n)
	}
	e.mustDeploy("prod", "1.0.0", Options{}, Deployed)
	e.traffic("prod")
	res := e.mustDeploy("prod", "1.1.0", Options{}, Promoted)
	evs := e.events("deploy.baseline")
	if len(evs) != 1 || evs[0].Data["baseline"] != false || !strings.Contains(evs[0].Message, "1200 MiB with headroom, 1000 MiB available") {
		t.Fatalf("deploy.baseline events %+v; want one saying there was no room", evs)
	}
	if res.Rollout == nil || res.Rollout.HasBaseline() {
		t.Errorf("rollout %+v; want it judged against the stable", res.Rollout)
	}
}

func TestFitRoom(t *testing.T) {
	for _, tt := range []struct {
		size, avail float64
		n           int
		ok          bool
	}{
		{100 << 20, 1 << 30, 2, true}, {100 << 20, 400 << 20, 2, true}, {100 << 20, 399 << 20, 2, false},
		{0, 0, 3, true}, // nothing measured: nothing to refuse on
	} {
		if err := fitRoom(tt.size, tt.avail, tt.n); (err == nil) != tt.ok {
			t.Errorf("fitRoom(%v, %v, %d) = %v; want ok %v", tt.size, tt.avail, tt.n, err, tt.ok)
		}
	}
}
