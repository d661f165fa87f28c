package demo

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/delivery"
	"github.com/slipway/slipway/internal/store"
)

// Summary is what a demo run did.
type Summary struct {
	Data string
	// Versions tells each release's fate, e.g. "v1.12.0 rolled back".
	Versions     []string
	Deliveries   []delivery.Delivery
	CachedSteps  int
	ReleaseNotes []string
	SBOMs        []string
	Incident     string
	PostMortem   string
	// UserFailures counts failed responses the simulated users got during the bad
	// rollout; FirstFailureAt is when the first came; DetectSeconds is the time from
	// it to traffic back on the stable version.
	UserFailures   int
	RouterErrors   float64
	FirstFailureAt time.Time
	RolledBackAt   time.Time
	DetectSeconds  float64
	Elapsed        time.Duration
	// Outcome is the one-line summary, the demo's last line.
	Outcome string
}

// noteRelease keeps a release's notes and SBOM for the summary.
func (s *Summary) noteRelease(rel delivery.Release) {
	s.ReleaseNotes = append(s.ReleaseNotes, rel.Notes)
	s.SBOMs = append(s.SBOMs, rel.Artifact.SBOM)
}

func (s *Summary) add(d delivery.Delivery) {
	s.Deliveries = append(s.Deliveries, d)
	fate := "deployed"
	if len(d.Stages) > 0 {
		fate = string(d.Outcome())
	}
	s.Versions = append(s.Versions, fmt.Sprintf("v%s %s", d.Release.Version, fate))
}

// measureRollback reads what users saw during the rolled back rollout.
func (s *Summary) measureRollback(ctx context.Context, e *env, before, after TrafficStats, d delivery.Delivery) {
	s.UserFailures = after.Failed - before.Failed
	if after.FirstFailure.After(before.LastFailure) {
		s.FirstFailureAt = after.FirstFailure
	}
	evs, err := e.st.Events(ctx, store.Filter{Rollout: d.Stages[len(d.Stages)-1].Rollout, Kinds: []string{"rollout.rolledback"}})
	if err == nil && len(evs) > 0 {
		s.RolledBackAt = evs[0].Time
		if v, ok := evs[0].Data["candidate_errors"].(float64); ok {
			s.RouterErrors = v
		}
	}
	if !s.FirstFailureAt.IsZero() && !s.RolledBackAt.IsZero() {
		s.DetectSeconds = s.RolledBackAt.Sub(s.FirstFailureAt).Seconds()
	}
}

func (e *env) printSummary(s *Summary) {
	out := e.out
	fmt.Fprintf(out, "\n== Summary  [%s]\n", s.Elapsed.Round(time.Second))
	fmt.Fprintf(out, "versions:       %s\n", strings.Join(s.Versions, " -> "))
	for _, d := range s.Deliveries {
		var where []string
		for _, st := range d.Stages {
			where = append(where, st.Env+" "+string(st.Outcome))
		}
		fmt.Fprintf(out, "  v%-8s %s  %s\n", d.Release.Version, shortDigest(d.Release.Artifact.Digest), strings.Join(where, ", "))
	}
	fmt.Fprintf(out, "step cache:     %d steps served from cache on the re-run\n", s.CachedSteps)
	if s.Incident != "" {
		fmt.Fprintf(out, "rollback:       %d failed requests seen by users (%v counted by the router on the canary); first failure to traffic on stable: %.1fs\n",
			s.UserFailures, s.RouterErrors, s.DetectSeconds)
		fmt.Fprintf(out, "incident:       %s\n", s.Incident)
		fmt.Fprintf(out, "post-mortem:    %s\n", s.PostMortem)
	}
	for _, n := range s.ReleaseNotes {
		fmt.Fprintf(out, "release notes:  %s\n", n)
	}
	for _, b := range s.SBOMs {
		fmt.Fprintf(out, "sbom:           %s\n", b)
	}
	if e.traffic != nil {
		st := e.traffic.Stats()
		versions := make([]string, 0, len(st.ByVersion))
		for v, c := range st.ByVersion {
			label := v
			if label == "" {
				label = "(no answer)"
			}
			versions = append(versions, fmt.Sprintf("%s %d (%d failed)", label, c.Requests, c.Failed))
		}
		sort.Strings(versions)
		fmt.Fprintf(out, "users:          %d requests, %d failed: %s\n", st.Sent, st.Failed, strings.Join(versions, ", "))
	}
	fmt.Fprintf(out, "state:          %s (slipway status|history|incidents --data %s)\n", s.Data, s.Data)
	fmt.Fprintln(out, s.Outcome)
}

func shortDigest(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}
