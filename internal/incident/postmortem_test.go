package incident_test

import (
	"context"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

func storyCommits() []incident.Commit {
	return []incident.Commit{
		{Hash: "9f2c1e0b7a6d5c4b3a291807f6e5d4c3b2a19080", Subject: "feat(domain): add contract rule validation", Author: "Ana Souza <ana@contract-api.example>", Time: at(9, 12, 0)},
		{Hash: "1a2b3c4d5e6f708192a3b4c5d6e7f80912a3b4c5", Subject: "refactor(domain): align rule with contract context", Author: "Ana Souza <ana@contract-api.example>", Time: at(10, 40, 0)},
		{Hash: "abc", Subject: "chore: bump | pipes", Author: "Bot", Time: at(11, 0, 0)},
	}
}

func fixCommits() []incident.Commit {
	return []incident.Commit{{Hash: "591f3d3b5e0b195a4abfc32893a16fc17422ad0a", Subject: "fix(domain): handle legacy contract edge case",
		Author: "Ana Souza <ana@contract-api.example>", Time: at(10, 40, 0)}}
}

// traces is what the trace store answers for the story's failing version.
type traces struct{ from, to time.Time }

func (tr *traces) Investigate(_ context.Context, service, env, version string, from, to time.Time) (incident.Evidence, bool, error) {
	tr.from, tr.to = from, to
	if service != "contract-api" || env != "prod" || version != "1.12.0" {
		return incident.Evidence{}, false, nil
	}
	return incident.Evidence{Route: "POST /v1/contracts/validate", Requests: 95, Errors: 2,
		TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", Error: "rule: contract has no field market (legacy contract)",
		Spans: []string{"POST /v1/contracts/validate (3ms)", "domain.ValidateRules (1ms)"},
		Flags: []incident.FlagCorrelation{{Flag: "contract-rule-validation", Variant: "on", Requests: 95, Errors: 2}}}, true, nil
}

func TestPostMortemGolden(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	rolledBack := storyJournal(t, s)
	now := at(10, 0, 8).Add(300 * time.Millisecond)
	m := storyManager(t, s, &inbox{}, &now)
	rb, err := incident.RollbackFromEvent(rolledBack)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.OpenFromRollback(ctx, rb); err != nil {
		t.Fatal(err)
	}
	now = at(10, 15, 0)
	ana := store.WithActor(ctx, store.Actor{Name: "ana", Via: "cli"})
	if _, err := m.Update(ana, "INC-1", incident.Change{Text: "Traces of 1.12.0: the new rule fails on legacy contracts without a market."}); err != nil {
		t.Fatal(err)
	}
	tr := &traces{}
	src := incident.Sources{Commits: storyCommits(), Investigator: tr, HTMLName: "INC-1.html"}

	now = at(10, 30, 0)
	mitigated, err := m.PostMortem(ctx, "INC-1", src)
	if err != nil {
		t.Fatalf("PostMortem() = %v", err)
	}
	golden(t, "postmortem_mitigated.md", mitigated.Markdown)
	if !tr.from.Before(at(10, 0, 0)) || !tr.to.After(at(10, 0, 8)) {
		t.Errorf("Investigate window = %s..%s, want it around the rollout 10:00:00..10:00:08", tr.from, tr.to)
	}

	fixRollout(t, s)
	now = at(12, 10, 0)
	if _, err := m.Resolve(ana, "INC-1", incident.Resolution{FixVersion: "1.12.1"}); err != nil {
		t.Fatal(err)
	}
	src.FixCommits = fixCommits()
	resolved, err := m.PostMortem(ctx, "INC-1", src)
	if err != nil {
		t.Fatalf("PostMortem() = %v", err)
	}
	golden(t, "postmortem_resolved.md", resolved.Markdown)
	golden(t, "postmortem_resolved.html", resolved.HTML)

	md := string(resolved.Markdown)
	headings := []string{
		"# Post-mortem: Canary degradation: contract-api 1.12.0 rolled back in prod (INC-1)\n",
		"## Summary\n", "## Response\n", "## Timeline\n", "## Deciding metrics\n", "## Investigation\n",
		"## Changes in 1.12.0\n", "## Fix\n", "## Root cause\n", "## What went well\n", "## What went less well\n", "## Action items\n",
	}
	last := -1
	for _, h := range headings {
		i := strings.Index(md, h)
		if i < 0 || i < last {
			t.Errorf("post-mortem lacks heading %q in order", strings.TrimSpace(h))
		}
		last = i
	}
	for _, want := range []string{
		// impact as the rollout measured it: failed requests and the time to recovery
		"2 failed requests on 1.12.0, limited to the canary's 5% of traffic.",
		"Users met errors for at most 3.2 s",
		// one table with units and the threshold's meaning, not raw numbers
		"| critical-logs | <= 3x stable | 2 lines | 0 lines |",
		"| memory | <= 256 MiB | 7 MiB | - |",
		"| error-rate | <= 1% | 2.11% | 0% | 95 / 1856 | **fail** |",
		"**Incident commander:** ana",
		"**Changes in 1.12.0 by:** Ana Souza, Bot",
		"| 10:15:00 | ana | incident.updated | Traces of 1.12.0",
		"Trace `4bf92f3577b34da6a3ce929d0e0e4736` failed with: rule: contract has no field market",
		"Represent the failing input in dev and staging's data",
		"`slipway incidents close INC-1`",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("resolved post-mortem lacks %q", want)
		}
	}
	for _, stale := range []string{"Ship the fix", "billing", "artifact.built", "6795264", "268435456"} {
		if strings.Contains(md, stale) {
			t.Errorf("resolved post-mortem holds %q", stale)
		}
	}
	if strings.Count(md, "| rollout.verdict |") != 2 {
		t.Errorf("timeline keeps %d verdicts, want the first erroring one and the deciding one", strings.Count(md, "| rollout.verdict |"))
	}
	checkHTML(t, resolved.HTML)
}

// checkHTML checks the page is self-contained and its charts are well-formed SVG
// with a line per version and the rollback marked.
func checkHTML(t *testing.T, page []byte) {
	t.Helper()
	p := string(page)
	if regexp.MustCompile(`(?i)<(script|link|img)\b|src=|url\(`).MatchString(p) {
		t.Error("HTML page loads external assets")
	}
	svgs := regexp.MustCompile(`(?s)<svg .*?</svg>`).FindAllString(p, -1)
	if len(svgs) == 0 {
		t.Fatal("HTML page has no chart")
	}
	for _, svg := range svgs {
		d := xml.NewDecoder(strings.NewReader(svg))
		for {
			_, err := d.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Errorf("chart is not well-formed SVG: %v", err)
				}
				break
			}
		}
		if n := strings.Count(svg, "<polyline"); n != 2 {
			t.Errorf("chart draws %d lines, want one per version", n)
		}
		if !strings.Contains(svg, ">rollback</text>") {
			t.Error("chart does not mark the rollback")
		}
	}
}

// An incident opened from a bare rollback report, with nothing in the journal
// about its rollout, still renders every section.
func TestPostMortemWithoutRolloutJournal(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	now := at(15, 0, 0)
	m := storyManager(t, s, nil, &now)
	rb := incident.Rollback{Service: "ledger", Env: "staging", Rollout: "ro-77", AffectedVersion: "0.4.0",
		Reason: "metrics unavailable 3 times in a row"}
	if _, err := m.OpenFromRollback(ctx, rb); err != nil {
		t.Fatal(err)
	}
	got, err := m.PostMortem(ctx, "INC-1", incident.Sources{})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "postmortem_bare.md", got.Markdown)
	if strings.Contains(string(got.HTML), "<svg") {
		t.Error("a post-mortem without readings draws a chart")
	}
}

func TestPostMortemRejectsMalformedJournal(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	now := at(10, 0, 0)
	m := storyManager(t, s, nil, &now)
	appendAll(t, s, []store.Event{{Kind: "rollout.verdict", Rollout: "ro-1", Time: at(9, 0, 0),
		Data: map[string]any{"checks": map[string]any{"not": "a list"}}}})
	rb := incident.Rollback{Service: "api", Env: "prod", Rollout: "ro-1", AffectedVersion: "1.0.0"}
	if _, err := m.OpenFromRollback(ctx, rb); err != nil {
		t.Fatal(err)
	}
	_, err := m.PostMortem(ctx, "INC-1", incident.Sources{})
	if err == nil || !strings.Contains(err.Error(), "rollout.verdict") {
		t.Fatalf("PostMortem() over a malformed event = %v, want an error naming the event", err)
	}
}

func TestPostMortemNamesFailingRoutes(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	at0 := at(10, 0, 0)
	_, err := s.Append(ctx, store.Event{Kind: "rollout.rolledback", Time: at0, Service: "contract-api", Env: "prod", Version: "1.12.0",
		Rollout: "ro-1", Message: "rolled back", Data: map[string]any{
			"reason": "error-rate 2.50% > 1.00%", "stable_version": "1.11.3", "weight": 5,
			"checks":         []map[string]any{{"metric": "error-rate", "value": 0.025, "threshold": 0.01, "samples": 80, "errors": 2, "passed": false}},
			"failing_routes": []map[string]any{{"route": "POST /v1/contracts/validate", "requests": 80, "errors": 2}}}})
	if err != nil {
		t.Fatal(err)
	}
	now := at(10, 1, 0)
	m := storyManager(t, s, nil, &now)
	inc, err := m.OpenForRollout(ctx, "ro-1")
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.PostMortem(ctx, inc.ID, incident.Sources{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"**Where.** Errors on 1.12.0 by route during the failing step: `POST /v1/contracts/validate` 2 errors in 80 requests.",
		"Add a regression test for the input that fails on `POST /v1/contracts/validate` to contract-api's tests.",
		"No alert fired before the canary's verdict: add an SLO to slipway.yaml covering `POST /v1/contracts/validate`",
		"Ship the fix through the hotfix path",
	} {
		if !strings.Contains(string(got.Markdown), want) {
			t.Errorf("post-mortem lacks %q:\n%s", want, got.Markdown)
		}
	}
}

// A decision that needed many readings after the first error, and a rollback that
// came long after it, become action items.
func TestPostMortemFlagsLateDetection(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	ev := func(kind string, ts time.Time, data map[string]any) store.Event {
		return store.Event{Kind: kind, Time: ts, Service: "api", Env: "prod", Version: "2.0.0", Rollout: "ro-9", Data: data}
	}
	events := []store.Event{ev("rollout.started", at(9, 0, 0), map[string]any{"from_version": "1.9.0", "to_version": "2.0.0",
		"checks": []map[string]any{{"metric": "error-rate", "max": 0.05}}})}
	for i := 1; i <= 8; i++ {
		verdict, errs := "continue", 0
		if i >= 2 {
			errs = i
		}
		switch i {
		case 4:
			verdict = "promote"
		case 8:
			verdict = "rollback"
		}
		events = append(events, ev("rollout.verdict", at(9, 0, i*10), map[string]any{"verdict": verdict, "weight": 10,
			"checks": []map[string]any{{"metric": "error-rate", "value": float64(errs) / 100, "threshold": 0.05, "samples": 100, "errors": errs,
				"outcome": map[bool]string{true: "fail", false: "inconclusive"}[i == 8]}}}))
	}
	events = append(events, ev("rollout.rolledback", at(9, 2, 30), map[string]any{"stable_version": "1.9.0", "candidate_errors": 8}))
	appendAll(t, s, events)
	now := at(9, 2, 31)
	m := storyManager(t, s, nil, &now)
	inc, err := m.OpenForRollout(ctx, "ro-9")
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.PostMortem(ctx, inc.ID, incident.Sources{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"The rollback decision fired late: 7 readings (1 min) after the first failed request; revisit error-rate's threshold (<= 5%) for prod.",
		"Mitigation was slow: traffic went back to 1.9.0 1 min 10 s after the decision",
		"Users met errors for at most 2 min 20 s",
		"The 10% step passed with 4 failed requests in 100 requests: too little evidence",
	} {
		if !strings.Contains(string(got.Markdown), want) {
			t.Errorf("post-mortem lacks %q:\n%s", want, got.Markdown)
		}
	}
}

// An incident an alert opened has no rollout: the draft measures from the alert's
// start, says which alert fired and proposes no alert.
func TestPostMortemOfAnAlert(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	now := at(14, 5, 0)
	m := storyManager(t, s, nil, &now)
	inc, err := m.OpenFromAlert(ctx, incident.AlertIncident{Service: "contract-api", Env: "prod", Version: "1.12.1", StableVersion: "1.12.0",
		Alert: "ContractAPIErrorBudgetBurn", StartsAt: at(14, 2, 0), Summary: "error budget burning 14.4x over 1h and 5m"})
	if err != nil {
		t.Fatal(err)
	}
	now = at(14, 20, 0)
	if _, err := m.Update(store.WithActor(ctx, store.Actor{Name: "ana", Via: "cli"}), inc.ID,
		incident.Change{Status: incident.Mitigated, Text: "Rolled back by hand with slipway undo prod."}); err != nil {
		t.Fatal(err)
	}
	got, err := m.PostMortem(ctx, inc.ID, incident.Sources{})
	if err != nil {
		t.Fatal(err)
	}
	md := string(got.Markdown)
	for _, want := range []string{
		"**Incident commander:** ana",
		"From the first evidence of failure at 14:02:00 UTC to traffic back on 1.12.0 at 14:20:00 UTC: 18 min.",
		"| Time to mitigate | first evidence of failure at 14:02:00 UTC | 100% of traffic on 1.12.0 at 14:20:00 UTC | 18 min |",
		"| 14:20:00 | ana | incident.updated | Rolled back by hand with slipway undo prod. |",
		"**What happened.** The alert ContractAPIErrorBudgetBurn fired on contract-api in prod at 14:02:00 UTC, while 1.12.1 served.",
		"| Time to detect | first evidence of failure at 14:02:00 UTC | the alert reached Slipway at 14:05:00 UTC | 3 min |",
		"No canary analysis was running; the alert ContractAPIErrorBudgetBurn detected the failure.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("post-mortem of an alert lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "No alert fired") {
		t.Errorf("post-mortem of an alert says no alert fired:\n%s", md)
	}
}
