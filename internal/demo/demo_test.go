package demo

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/store"
)

// slipwayBinary builds the slipway command: routers run from it and pipeline steps
// call it, exactly as in `slipway demo`.
func slipwayBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "slipway")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/slipway")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build slipway: %v\n%s", err, out)
	}
	return bin
}

func runStory(t *testing.T, legacyShare float64) (*Summary, string, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("the story runs for about two minutes")
	}
	// Like `slipway demo` run in a clone of Slipway: the state directory is an
	// ignored directory inside another git repository.
	outer := t.TempDir()
	if out, err := exec.Command("git", "init", "-q", outer).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	if err := os.WriteFile(filepath.Join(outer, ".gitignore"), []byte(".slipway/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(outer, ".slipway")
	var out bytes.Buffer
	s, err := Run(context.Background(), Options{Data: data, Example: "../../examples/contract-api",
		Slipway: slipwayBinary(t), LegacyShare: legacyShare, Rate: 250, Out: &out, Slack: storySlack(t, data)})
	if err != nil {
		t.Fatalf("Run: %v\noutput:\n%s", err, out.String())
	}
	return s, data, out.String()
}

func openStore(t *testing.T, data string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(data, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestStoryRollsBackAndShipsTheFix(t *testing.T) {
	t.Parallel()
	s, data, out := runStory(t, 0.02)
	ctx := context.Background()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	want := "story: v1.11.3 -> v1.12.0 rolled back -> v1.12.1 promoted | incident INC-1 | post-mortem " + filepath.Join(data, "postmortems", "INC-1.md")
	if last != want {
		t.Fatalf("last line = %q, want %q; prod stages: %+v", last, want, prodStages(s))
	}

	var versions []string
	var outcomes []deploy.Outcome
	for _, d := range s.Deliveries {
		versions = append(versions, d.Release.Version)
		outcomes = append(outcomes, d.Outcome())
	}
	if diff := cmp.Diff([]string{"1.11.3", "1.12.0", "1.12.1"}, versions); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]deploy.Outcome{deploy.Deployed, deploy.RolledBack, deploy.Promoted}, outcomes); diff != "" {
		t.Errorf("prod outcomes (-want +got):\n%s", diff)
	}
	if s.CachedSteps == 0 {
		t.Errorf("re-running the branch pipeline served no step from the cache")
	}
	if !s.Deliveries[2].Release.Hotfix || s.Deliveries[1].Release.Hotfix {
		t.Errorf("hotfix flags = %v, %v; want only 1.12.1 on the hotfix path", s.Deliveries[1].Release.Hotfix, s.Deliveries[2].Release.Hotfix)
	}

	st := openStore(t, data)
	// The rollback came from errors the router measured on the canary.
	evs, err := st.Events(ctx, store.Filter{Version: "1.12.0", Kinds: []string{"rollout.rolledback"}})
	if err != nil || len(evs) != 1 {
		t.Fatalf("rollout.rolledback events for 1.12.0 = %d, %v; want 1", len(evs), err)
	}
	// Either the error-rate bound or the sequential judge may decide first; both
	// count the failed requests on the candidate, and one of them must have failed.
	var errorCheck map[string]any
	for _, c := range evs[0].Data["checks"].([]any) {
		m := c.(map[string]any)
		if (m["metric"] == "error-rate" || m["metric"] == "sequential") && m["passed"] == false {
			errorCheck = m
		}
	}
	if errorCheck == nil || errorCheck["errors"].(float64) < 1 || errorCheck["value"].(float64) <= errorCheck["threshold"].(float64) {
		t.Errorf("rollback evidence = %v, want a failed error-rate or sequential check with measured errors over the threshold", evs[0].Data["checks"])
	}
	if s.UserFailures < 1 || s.RouterErrors < 1 {
		t.Errorf("users saw %d failures, router counted %v on the canary; want at least one each", s.UserFailures, s.RouterErrors)
	}
	var ro rollout.Rollout
	if err := st.Get(ctx, "rollout", evs[0].Rollout, &ro); err != nil || ro.Phase != rollout.RolledBack || ro.Stable.Version != "1.11.3" {
		t.Errorf("rollout %s = phase %s stable %s (%v); want rolled back to 1.11.3", evs[0].Rollout, ro.Phase, ro.Stable.Version, err)
	}
	var fix rollout.Rollout
	if err := st.Get(ctx, "rollout", s.Deliveries[2].Stages[2].Rollout, &fix); err != nil ||
		fix.Profile != "hotfix" || !cmp.Equal(fix.Steps, []int{1, 5, 25, 100}) || fix.Phase != rollout.Promoted {
		t.Errorf("fix rollout = %s %v %s (%v); want hotfix profile [1 5 25 100] promoted", fix.Profile, fix.Steps, fix.Phase, err)
	}
	var prod deploy.Deployment
	if err := st.Get(ctx, "deployment", "contract-api/prod", &prod); err != nil || prod.Version != "1.12.1" {
		t.Errorf("prod runs %q (%v), want 1.12.1", prod.Version, err)
	}

	inc, err := (&incident.Manager{Store: st}).Get(ctx, "INC-1")
	if err != nil {
		t.Fatal(err)
	}
	if inc.Service != "contract-api" || inc.Env != "prod" || inc.AffectedVersion != "1.12.0" || inc.StableVersion != "1.11.3" ||
		!inc.RollbackExecuted || inc.Status != incident.Resolved || inc.FixVersion != "1.12.1" || inc.OpenedAt.IsZero() || !failedOnErrors(inc.Metrics) {
		t.Errorf("incident = %+v", inc)
	}

	pm, err := os.ReadFile(s.PostMortem)
	if err != nil {
		t.Fatal(err)
	}
	for _, section := range []string{"# Post-mortem:", "## Summary", "## Response", "## Timeline", "## Deciding metrics",
		"## Changes in 1.12.0", "## Fix", "## Root cause", "## Action items", "**Fix 1.12.1 by:** Ana Souza", "Ana Souza"} {
		if !bytes.Contains(pm, []byte(section)) {
			t.Errorf("post-mortem lacks %q", section)
		}
	}
	feat := s.Deliveries[1].Release.Commits
	if len(feat) == 0 {
		t.Fatal("release 1.12.0 lists no commits")
	}
	for _, c := range feat {
		if !bytes.Contains(pm, []byte(c.Short())) || !bytes.Contains(pm, []byte(c.Subject)) {
			t.Errorf("post-mortem does not link commit %s %q", c.Short(), c.Subject)
		}
	}
	if !bytes.Contains(pm, []byte("feat(domain): add contract rule validation")) {
		t.Errorf("post-mortem misses the feature commit")
	}
	// The impact is measured like the users measured it: the seconds from their
	// first failure to traffic back on stable fit in the bound the journal gives.
	if m := regexp.MustCompile(`Users met errors for at most ([0-9.]+) s`).FindSubmatch(pm); m == nil {
		t.Errorf("post-mortem does not bound the time users met errors")
	} else if bound, _ := strconv.ParseFloat(string(m[1]), 64); bound+0.1 < s.DetectSeconds {
		t.Errorf("post-mortem bounds the errors to %.1f s, users saw them for %.1f s", bound, s.DetectSeconds)
	}
	if html, err := os.ReadFile(strings.TrimSuffix(s.PostMortem, ".md") + ".html"); err != nil || !bytes.Contains(html, []byte("<svg")) {
		t.Errorf("post-mortem HTML with its chart beside the markdown: %v", err)
	}
	// The errors were measured where the bug is: the validation route.
	if !bytes.Contains(pm, []byte("**Where.**")) || !bytes.Contains(pm, []byte("`POST /v1/contracts/validate`")) {
		t.Errorf("post-mortem does not name the failing route")
	}
	checkTelemetry(t, data)
	checkSlack(t, data, inc.ID)
}

func TestStoryWithoutLegacyContractsPromotes(t *testing.T) {
	t.Parallel()
	s, _, out := runStory(t, 0)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if last := lines[len(lines)-1]; last != "story: v1.11.3 -> v1.12.0 promoted | no incident" {
		t.Fatalf("last line = %q, want the promotion of v1.12.0; prod stages: %+v", last, prodStages(s))
	}
	if len(s.Deliveries) != 2 || s.Deliveries[1].Outcome() != deploy.Promoted || s.Incident != "" {
		t.Errorf("deliveries %d, last outcome %s, incident %q; want 1.12.0 promoted without incident",
			len(s.Deliveries), s.Deliveries[len(s.Deliveries)-1].Outcome(), s.Incident)
	}
}

// prodStages tells how each release fared in its last environment, for failure messages.
func prodStages(s *Summary) []string {
	var out []string
	for _, d := range s.Deliveries {
		if n := len(d.Stages); n > 0 {
			st := d.Stages[n-1]
			out = append(out, d.Release.Version+" "+string(st.Outcome)+": "+st.Reason)
		}
	}
	return out
}

// failedOnErrors reports whether a check that counts failed requests - the
// error-rate bound or the sequential judge - fired on the candidate's errors.
func failedOnErrors(ms []incident.Metric) bool {
	for _, m := range ms {
		if (m.Name == "error-rate" || m.Name == "sequential") && m.Errors >= 1 && m.Value > m.Threshold {
			return true
		}
	}
	return false
}
