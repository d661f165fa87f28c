package rollout

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/router"
)

// lastConfig keeps the last split applied.
type lastConfig struct{ cfg router.Config }

func (l *lastConfig) Apply(ctx context.Context, cfg router.Config) (router.Config, error) {
	l.cfg = cfg
	return cfg, nil
}

// TestWeightsSpreadOverInstances runs a rollout of two stable and three candidate
// instances: each version's weight is spread over its instances; after Relocate the
// next pass routes to the candidate's new instance.
func TestWeightsSpreadOverInstances(t *testing.T) {
	p := &scripted{reads: []analysis.Series{{Requests: 0}, {Requests: 100}}}
	c, _, clk, _ := setup(t, p)
	applied := &lastConfig{}
	c.Router = func(string, string) Splitter { return applied }
	s := spec()
	s.Stable = NewRelease("1.0.0", "", "http://s1", "http://s2")
	s.Candidate = NewRelease("2.0.0", "", "http://c1", "http://c2", "http://c3")
	r, err := start(t, c, s)
	if err != nil {
		t.Fatal(err)
	}
	tick(t, c, clk, r, 5*time.Second)
	want := []router.Backend{
		{Version: "1.0.0", URL: "http://s1", Weight: 45}, {Version: "1.0.0", URL: "http://s2", Weight: 45},
		{Version: "2.0.0", URL: "http://c1", Weight: 4}, {Version: "2.0.0", URL: "http://c2", Weight: 3}, {Version: "2.0.0", URL: "http://c3", Weight: 3},
	}
	if diff := cmp.Diff(want, applied.cfg.Backends); diff != "" {
		t.Fatalf("backends at 10%% (-want +got):\n%s", diff)
	}

	moved, err := c.Relocate(context.Background(), r.ID, "2.0.0", []string{"http://c4"})
	if err != nil {
		t.Fatal(err)
	}
	if moved.Candidate.URL != "http://c4" || len(moved.Candidate.URLs) != 1 {
		t.Fatalf("Relocate: candidate %+v, want only http://c4", moved.Candidate)
	}
	tick(t, c, clk, moved, 5*time.Second)
	want = append(want[:2], router.Backend{Version: "2.0.0", URL: "http://c4", Weight: 10})
	if diff := cmp.Diff(want, applied.cfg.Backends); diff != "" {
		t.Errorf("backends after Relocate (-want +got):\n%s", diff)
	}
	if _, err := c.Relocate(context.Background(), r.ID, "9.9.9", []string{"http://x"}); err == nil {
		t.Errorf("Relocate of a version the rollout does not move succeeded")
	}
}

// TestReleaseReadsOldRecords reads a Release stored with one url.
func TestReleaseReadsOldRecords(t *testing.T) {
	var r Release
	if err := json.Unmarshal([]byte(`{"version":"1.0.0","url":"http://s"}`), &r); err != nil {
		t.Fatal(err)
	}
	if got := r.Instances(); !cmp.Equal(got, []string{"http://s"}) {
		t.Errorf("Instances() of an old record = %q, want [http://s]", got)
	}
}
