package controlplane

import (
	"context"
	"sync"
	"testing"

	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/router"
)

// TestUndoAfterPromotion rolls a promoted version back to the one kept warm, under
// traffic: the switch is instant and drops nothing.
func TestUndoAfterPromotion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and runs processes")
	}
	ctx := context.Background()
	p, dp, build, _ := newTestPlane(t)
	u := &users{byVersion: map[string]int{}}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i, v := range []string{"1.0.0", "1.1.0"} {
		a := build(v)
		if i == 1 { // users arrive once 1.0.0 serves; the rollout of 1.1.0 is judged on them
			for range 4 {
				wg.Add(1)
				go func() { defer wg.Done(); u.send(dp.URL(), stop) }()
			}
		}
		res, err := p.Deployer.Deploy(ctx, "prod", deploy.Artifact{Service: "svc", Version: v, Digest: a.Digest}, deploy.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if v == "1.1.0" && res.Outcome != deploy.Promoted {
			t.Fatalf("1.1.0: %s (%v), want promoted", res.Outcome, res.Rollout.Reason)
		}
	}
	before, _ := p.Deployer.Current(ctx, "prod")
	if before.Warm == nil || before.Warm.Version != "1.0.0" {
		t.Fatalf("after the promotion warm = %+v, want 1.0.0 kept warm", before.Warm)
	}
	dep, err := p.Deployer.Undo(ctx, "prod", "late errors")
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := (&router.Client{AdminURL: dp.AdminURL()}).Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if dep.Version != "1.0.0" || dep.Warm == nil || dep.Warm.Version != "1.1.0" ||
		len(cfg.Backends) != 1 || cfg.Backends[0].Version != "1.0.0" || cfg.Backends[0].URL != before.Warm.Instances[0].URL {
		t.Errorf("after undo: deployment %s (warm %+v), router %+v; want 1.0.0 on its warm instance, 1.1.0 warm", dep.Version, dep.Warm, cfg.Backends)
	}
	if u.dropped != 0 || u.appFails != 0 {
		t.Errorf("undo under traffic: %d dropped, %d failed", u.dropped, u.appFails)
	}
	if _, err := p.Deployer.Undo(ctx, "staging", ""); err == nil {
		t.Errorf("undo in an unknown environment succeeded")
	}
}
