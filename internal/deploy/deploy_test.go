package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/store"
)

// TestReplicasBehindTheRouter deploys two replicas: both run, probed on the
// configured health path, and share the version's weight behind the router. A
// redeploy of the same digest finds them alive and leaves them be.
func TestReplicasBehindTheRouter(t *testing.T) {
	e := newEnv(t)
	res := e.mustDeploy("dev", "1.0.0", Options{}, Deployed)
	dep := e.current("dev")
	if len(dep.Instances) != 2 || len(res.Instances) != 2 {
		t.Fatalf("deployment has %d instances (result %d), want 2 replicas", len(dep.Instances), len(res.Instances))
	}
	for _, in := range dep.Instances {
		if in.Health != "/ready" || in.Boot == 0 || !e.target.Alive(context.Background(), in) {
			t.Errorf("instance %+v: want health /ready, a boot time, alive", in)
		}
	}
	if got := children(); len(got) != 2 {
		t.Errorf("%d child processes run (%v), want the 2 replicas", len(got), got)
	}
	cfg := e.routes("dev")
	if got, want := backendURLs(cfg, "1.0.0"), urls(dep.Instances); !slices.Equal(got, want) || cfg.Backends[0].Weight+cfg.Backends[1].Weight != 100 {
		t.Errorf("router backends %+v, want 1.0.0 on %v sharing 100%%", cfg.Backends, want)
	}
	e.mustDeploy("dev", "1.0.0", Options{}, Deployed)
	if again := e.current("dev"); !slices.Equal(urls(again.Instances), urls(dep.Instances)) {
		t.Errorf("redeploy of a running digest restarted it: %v, then %v", urls(dep.Instances), urls(again.Instances))
	}
}

// TestFailedSwitchLeavesThePreviousVersion deploys while the router is down: the
// record stays on the previous version, the new instances are stopped and the
// failure is journaled.
func TestFailedSwitchLeavesThePreviousVersion(t *testing.T) {
	e := newEnv(t)
	e.mustDeploy("dev", "1.0.0", Options{}, Deployed)
	before := e.current("dev")
	e.routers["dev"].stop()
	res, err := e.deploy("dev", "1.1.0", Options{})
	if err == nil || !strings.Contains(err.Error(), "switch traffic") || !strings.Contains(err.Error(), "1.0.0 still serves") {
		t.Fatalf("deploy with the router down = %v, want a switch traffic error saying 1.0.0 still serves", err)
	}
	after := e.current("dev")
	if after.Version != "1.0.0" || !slices.Equal(urls(after.Instances), urls(before.Instances)) || len(after.Retired) != 0 || after.Warm != nil {
		t.Errorf("after the failed switch the record is %s on %v (warm %v, retired %v), want 1.0.0 as before on %v",
			after.Version, urls(after.Instances), after.Warm, after.Retired, urls(before.Instances))
	}
	if len(res.Instances) != 2 {
		t.Fatalf("result has %d new instances, want 2", len(res.Instances))
	}
	waitGone(t, "new instances after a failed switch", res.Instances)
	for _, in := range before.Instances {
		if !e.target.Alive(context.Background(), in) {
			t.Errorf("1.0.0 instance %s stopped by a failed deploy", in.URL)
		}
	}
	failed := e.events("deploy.failed")
	if len(failed) != 1 || failed[0].Version != "1.1.0" || !strings.Contains(failed[0].Message, "switch traffic") {
		t.Errorf("deploy.failed events %+v, want one for 1.1.0 about the switch", failed)
	}
}

// TestCanaryNeedsALiveStable refuses a canary whose stable is down, restarts a dead
// version redeployed as it is, and replaces at once when forced.
func TestCanaryNeedsALiveStable(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustDeploy("prod", "1.0.0", Options{}, Deployed)
	stable := e.current("prod")
	e.d.stop(ctx, stable.Instances)

	res, err := e.deploy("prod", "1.1.0", Options{})
	if !errors.Is(err, ErrStableDown) {
		t.Fatalf("deploy over a dead stable = %v, want ErrStableDown", err)
	}
	for _, want := range []string{"stable 1.0.0 in prod does not answer at " + stable.Instances[0].URL, "canary needs a live stable", "--force"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if len(res.Instances) != 0 || e.current("prod").Version != "1.0.0" {
		t.Errorf("a refused deploy started %d instances or changed the record", len(res.Instances))
	}

	// The same digest, dead: restarted in place, no canary.
	res = e.mustDeploy("prod", "1.0.0", Options{}, Deployed)
	if res.Rollout != nil || len(e.current("prod").Instances) != 2 {
		t.Errorf("redeploy of a dead stable: rollout %v, %d instances; want a plain restart of 2", res.Rollout, len(e.current("prod").Instances))
	}

	e.d.stop(ctx, e.current("prod").Instances)
	res = e.mustDeploy("prod", "1.1.0", Options{Force: true, Reason: "stable crashed"}, Deployed)
	if res.Rollout != nil || e.current("prod").Version != "1.1.0" {
		t.Errorf("forced deploy: rollout %v, version %s; want 1.1.0 replaced at once", res.Rollout, e.current("prod").Version)
	}
	skipped := e.events("deploy.canary-skipped")
	if len(skipped) != 1 || !strings.Contains(skipped[0].Message, "does not answer") || skipped[0].Data["reason"] != "stable crashed" {
		t.Errorf("deploy.canary-skipped events %+v, want one saying why", skipped)
	}
}

// TestPromotionsKeepOneWarmVersion promotes twice within keep-warm: the version
// warm before is stopped, the candidate ran on both replicas, and Undo leaks nothing.
func TestPromotionsKeepOneWarmVersion(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustDeploy("prod", "1.0.0", Options{}, Deployed)
	first := e.current("prod")
	e.traffic("prod")

	seen := make(chan Deployment, 1)
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); <-tick.C {
			if dep, err := e.d.Current(ctx, "prod"); err == nil && dep.Pending != nil {
				seen <- dep
				return
			}
		}
		close(seen)
	}()
	e.mustDeploy("prod", "1.1.0", Options{}, Promoted)
	pending, ok := <-seen
	if !ok || len(pending.Pending.Instances) != 2 || pending.Pending.Instance.ID != pending.Pending.Instances[0].ID {
		t.Fatalf("pending candidate during the rollout: %+v, want 2 instances", pending.Pending)
	}
	r, err := e.d.Rollouts.Load(ctx, pending.Pending.Rollout)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Candidate.Instances(), urls(pending.Pending.Instances)) || !slices.Equal(r.Stable.Instances(), urls(first.Instances)) {
		t.Errorf("rollout releases %+v / %+v, want every instance of both", r.Stable, r.Candidate)
	}
	second := e.current("prod")
	if second.Warm == nil || second.Warm.Version != "1.0.0" || !slices.Equal(urls(second.Warm.Instances), urls(first.Instances)) {
		t.Fatalf("after promoting 1.1.0 warm = %+v, want 1.0.0", second.Warm)
	}
	if got := backendURLs(e.routes("prod"), "1.1.0"); !slices.Equal(got, urls(second.Instances)) {
		t.Errorf("router serves 1.1.0 on %v, want all its instances %v", got, urls(second.Instances))
	}

	e.mustDeploy("prod", "1.2.0", Options{}, Promoted)
	third := e.current("prod")
	if third.Warm == nil || third.Warm.Version != "1.1.0" || len(third.Retired) != 0 {
		t.Fatalf("after promoting 1.2.0 warm = %+v retired %v, want 1.1.0 warm, nothing retired", third.Warm, third.Retired)
	}
	waitGone(t, "1.0.0, warm before the second promotion", first.Instances)

	dep, err := e.d.Undo(ctx, "prod", "late errors")
	if err != nil {
		t.Fatal(err)
	}
	if dep.Version != "1.1.0" || dep.Warm == nil || dep.Warm.Version != "1.2.0" {
		t.Fatalf("after undo %s warm %+v, want 1.1.0 with 1.2.0 warm", dep.Version, dep.Warm)
	}
	for _, in := range append(dep.Instances, dep.Warm.Instances...) {
		if !e.target.Alive(ctx, in) {
			t.Errorf("instance %s %s stopped by undo", in.Version, in.URL)
		}
	}
}

// TestRolledBackDigestIsQuarantined rolls a bad version back: deploying its digest
// again is refused until it is forced with a reason, which is journaled with who.
func TestRolledBackDigestIsQuarantined(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustDeploy("prod", "1.0.0", Options{}, Deployed)
	e.traffic("prod")
	res := e.mustDeploy("prod", "1.2.0-bad", Options{}, RolledBack)
	bad := build(t, "1.2.0-bad")

	q, found, err := e.d.Quarantined(ctx, "prod", bad.Digest)
	if err != nil || !found || q.Rollout != res.Rollout.ID || q.Version != "1.2.0-bad" || q.Reason == "" || q.At.IsZero() {
		t.Fatalf("Quarantined = %+v, %v, %v; want the rollout %s, its reason and time", q, found, err, res.Rollout.ID)
	}
	if evs := e.events("deploy.quarantined"); len(evs) != 1 || evs[0].Data["rollout"] != res.Rollout.ID {
		t.Errorf("deploy.quarantined events %+v, want one naming %s", evs, res.Rollout.ID)
	}
	if _, found, _ := e.d.Quarantined(ctx, "dev", bad.Digest); found {
		t.Errorf("the digest is quarantined in dev too; a quarantine holds where the rollback happened")
	}

	_, err = e.deploy("prod", "1.2.0-bad", Options{})
	if !errors.Is(err, ErrQuarantined) {
		t.Fatalf("deploy of a quarantined digest = %v, want ErrQuarantined", err)
	}
	for _, want := range []string{"1.2.0-bad", res.Rollout.ID, q.Reason, "fix forward with a new release", "--force --reason"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal %q lacks %q", err, want)
		}
	}
	if _, err := e.deploy("prod", "1.2.0-bad", Options{Force: true}); err == nil || !strings.Contains(err.Error(), "needs a reason") {
		t.Errorf("forced deploy without a reason = %v, want an error asking for one", err)
	}

	actx := store.WithActor(ctx, store.Actor{Name: "ana", Via: "cli"})
	res2, err := e.d.Deploy(actx, "prod", bad, Options{Force: true, Reason: "flaky test, not the build"})
	if err != nil {
		t.Fatal(err)
	}
	cleared := e.events("deploy.quarantine-cleared")
	if len(cleared) != 1 || cleared[0].Actor != "ana" || cleared[0].Via != "cli" || cleared[0].Data["reason"] != "flaky test, not the build" {
		t.Errorf("deploy.quarantine-cleared events %+v, want one by ana via cli with the reason", cleared)
	}
	// Still bad: rolled back and quarantined again, by the new rollout.
	if res2.Outcome != RolledBack {
		t.Fatalf("forced deploy of the bad version: %s, want rolled-back", res2.Outcome)
	}
	if q2, found, _ := e.d.Quarantined(ctx, "prod", bad.Digest); !found || q2.Rollout != res2.Rollout.ID {
		t.Errorf("after the second rollback quarantine = %+v, want rollout %s", q2, res2.Rollout.ID)
	}
}

// TestStopAllThenRestore stops everything, as slipway down does, and brings it back;
// Restore adopts what still runs and restarts only what does not.
func TestStopAllThenRestore(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.d.Restore(ctx, "dev"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Restore without a deployment = %v, want store.ErrNotFound", err)
	}
	e.mustDeploy("dev", "1.0.0", Options{}, Deployed)
	before := e.current("dev")
	if err := e.d.StopAll(ctx); err != nil {
		t.Fatal(err)
	}
	waitGone(t, "after StopAll", before.Instances)
	if e.current("dev").Version != "1.0.0" {
		t.Fatalf("StopAll dropped the record")
	}

	dep, err := e.d.Restore(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if len(dep.Instances) != 2 || slices.Contains(urls(dep.Instances), before.Instances[0].URL) && dep.Instances[0].PID == before.Instances[0].PID {
		t.Fatalf("restored instances %v, want 2 new ones", urls(dep.Instances))
	}
	for _, in := range dep.Instances {
		if !e.target.Alive(ctx, in) {
			t.Errorf("restored instance %s does not answer", in.URL)
		}
	}
	if got := backendURLs(e.routes("dev"), "1.0.0"); !slices.Equal(got, urls(dep.Instances)) {
		t.Errorf("router serves %v after restore, want %v", got, urls(dep.Instances))
	}
	if evs := e.events("deploy.restored"); len(evs) != 1 {
		t.Errorf("%d deploy.restored events, want 1", len(evs))
	}

	// One instance dies: Restore keeps the other and replaces it.
	e.d.stop(ctx, dep.Instances[:1])
	again, err := e.d.Restore(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Instances) != 2 || again.Instances[0].ID != dep.Instances[1].ID || again.Instances[1].ID == dep.Instances[0].ID {
		t.Errorf("restore after one death: %v, want %s kept and one new", urls(again.Instances), dep.Instances[1].URL)
	}
	// All alive: nothing to do.
	if _, err := e.d.Restore(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	if evs := e.events("deploy.restored"); len(evs) != 2 {
		t.Errorf("%d deploy.restored events after a restore with nothing dead, want 2", len(evs))
	}
	if !slices.Equal(urls(e.current("dev").Instances), urls(again.Instances)) {
		t.Errorf("a restore with all alive changed the instances")
	}
}

// TestRestoreRelocatesARollout stops everything in the middle of a rollout; Restore
// restarts stable and candidate and tells the rollout where they are, and Resume
// takes it to the end.
func TestRestoreRelocatesARollout(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustDeploy("prod", "1.0.0", Options{}, Deployed)
	e.traffic("prod")
	e.stopMidRollout("prod", "1.1.0")
	mid := e.current("prod")
	if mid.Pending == nil {
		t.Fatal("no pending candidate after stopping mid-rollout")
	}
	if err := e.d.StopAll(ctx); err != nil {
		t.Fatal(err)
	}
	waitGone(t, "after StopAll", mid.all())

	dep, err := e.d.Restore(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if dep.Pending == nil || len(dep.Pending.Instances) != 2 || len(dep.Instances) != 2 {
		t.Fatalf("restored %+v, want 2 stable and 2 candidate instances", dep)
	}
	r, err := e.d.Rollouts.Load(ctx, dep.Pending.Rollout)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.Candidate.Instances(), urls(dep.Pending.Instances)) || !slices.Equal(r.Stable.Instances(), urls(dep.Instances)) {
		t.Fatalf("rollout %s targets %v / %v, want the restarted %v / %v", r.ID, r.Stable.Instances(), r.Candidate.Instances(), urls(dep.Instances), urls(dep.Pending.Instances))
	}
	if len(dep.Pending.Baseline) != 0 || r.HasBaseline() {
		t.Errorf("baseline %v (rollout %v) after StopAll; want it dropped: a new one would be younger than the candidate", dep.Pending.Baseline, r.Baseline)
	}
	results, err := e.d.Resume(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].Outcome != Promoted {
		t.Fatalf("Resume = %+v, want 1.1.0 promoted", results)
	}
	if got := backendURLs(e.routes("prod"), "1.1.0"); !slices.Equal(got, urls(dep.Pending.Instances)) {
		t.Errorf("router serves 1.1.0 on %v, want %v", got, urls(dep.Pending.Instances))
	}
}

// TestDeployOverAPendingCandidate deploys while a rollout left by a stopped control
// plane is pending: refused while it runs, settled first once it has ended.
func TestDeployOverAPendingCandidate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustDeploy("prod", "1.0.0", Options{}, Deployed)
	e.traffic("prod")
	e.stopMidRollout("prod", "1.1.0")
	mid := e.current("prod")
	if _, err := e.deploy("prod", "1.2.0", Options{}); !errors.Is(err, ErrRolloutUnderWay) || !strings.Contains(err.Error(), mid.Pending.Rollout) {
		t.Fatalf("deploy during rollout %s = %v, want ErrRolloutUnderWay naming it", mid.Pending.Rollout, err)
	}
	if err := e.d.Rollouts.Request(ctx, mid.Pending.Rollout, rollout.Abort, "wrong build"); err != nil {
		t.Fatal(err)
	}
	r, err := e.d.Rollouts.Load(ctx, mid.Pending.Rollout)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.d.Rollouts.Reconcile(ctx, r); err != nil || r.Phase != rollout.Aborted {
		t.Fatalf("abort: %v, phase %s", err, r.Phase)
	}
	e.mustDeploy("prod", "1.2.0", Options{}, Promoted)
	waitGone(t, "the aborted candidate", mid.Pending.Instances)
	if dep := e.current("prod"); dep.Version != "1.2.0" || dep.Warm == nil || dep.Warm.Version != "1.0.0" {
		t.Errorf("after the deploy: %s warm %+v, want 1.2.0 with 1.0.0 warm", dep.Version, dep.Warm)
	}
}

// TestPendingReadsOldRecords reads a deployment written before replicas.
func TestPendingReadsOldRecords(t *testing.T) {
	var dep Deployment
	old := `{"version":"1.0.0","pending":{"version":"1.1.0","instance":{"id":"a","url":"http://127.0.0.1:1"},"rollout":"ro-1"}}`
	if err := json.Unmarshal([]byte(old), &dep); err != nil {
		t.Fatal(err)
	}
	if len(dep.Pending.Instances) != 1 || dep.Pending.Instances[0].ID != "a" {
		t.Errorf("Pending.Instances of an old record = %+v, want its one instance", dep.Pending.Instances)
	}
	b, _ := json.Marshal(dep)
	if !strings.Contains(string(b), `"instance":{`) || !strings.Contains(string(b), `"instances":[`) {
		t.Errorf("a Pending is written as %s, want both instance and instances", b)
	}
}
