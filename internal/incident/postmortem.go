package incident

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"
)

// Commit is one change between the last stable version and the affected one.
type Commit struct {
	Hash, Subject, Author string
	Time                  time.Time
}

// PostMortem renders a blameless post-mortem draft of the incident as markdown,
// from the incident, the journal of its rollout and the commits between the
// stable and the affected version (oldest first, as git log --reverse gives them).
// Its sections are stable: Summary, Timeline, Metrics at each decision, Changes in
// <version>, Root cause, What went well, Action items.
func (m *Manager) PostMortem(ctx context.Context, id string, commits []Commit) ([]byte, error) {
	inc, err := m.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("post-mortem: %w", err)
	}
	events, err := m.journal(ctx, inc)
	if err != nil {
		return nil, fmt.Errorf("post-mortem of %s: %w", id, err)
	}
	f, err := readFacts(events)
	if err != nil {
		return nil, fmt.Errorf("post-mortem of %s: %w", id, err)
	}
	var b bytes.Buffer
	pm := postMortem{w: &b, inc: inc, f: f, commits: commits}
	pm.header()
	pm.summary()
	pm.timeline()
	pm.metrics()
	pm.changes()
	pm.rootCause()
	pm.wentWell()
	pm.actionItems()
	return b.Bytes(), nil
}

type postMortem struct {
	w       *bytes.Buffer
	inc     Incident
	f       facts
	commits []Commit
}

func (p *postMortem) printf(format string, args ...any) { fmt.Fprintf(p.w, format, args...) }

func (p *postMortem) header() {
	p.printf("# Post-mortem: %s (%s)\n\n", p.inc.Title, p.inc.ID)
	p.printf("> Draft written by Slipway from the event journal. This review is blameless: it describes\n")
	p.printf("> what the system and the people in it saw and did, so the system can improve; it does not\n")
	p.printf("> look for someone to blame. Complete the Root cause and Action items sections together.\n\n")
}

func (p *postMortem) summary() {
	inc, f := p.inc, p.f
	p.printf("## Summary\n\n")
	p.printf("- **Service:** %s in %s\n", inc.Service, inc.Env)
	p.printf("- **Affected version:** %s (rollout %s); **stable version:** %s\n", inc.AffectedVersion, inc.Rollout, orDash(inc.StableVersion))
	p.printf("- **Severity:** %s; **status:** %s\n", inc.Severity, p.status())
	p.printf("- **Opened:** %s", stamp(inc.OpenedAt))
	if inc.Channel != "" {
		p.printf(" in %s", inc.Channel)
	}
	p.printf("\n\n")

	what := fmt.Sprintf("%s %s was rolled out to %s as a canary", inc.Service, inc.AffectedVersion, inc.Env)
	if w := f.failWeight(); w > 0 {
		what += fmt.Sprintf(" and was taking %s%% of traffic when analysis judged it unhealthy", num(w))
	}
	what += fmt.Sprintf("; Slipway rolled it back automatically to %s", orUnknown(inc.StableVersion))
	if reason := p.reason(); reason != "" {
		what += " (" + reason + ")"
	}
	p.printf("**What happened.** %s.\n\n", what)

	p.printf("**Impact.** %s\n\n", p.impact())
	if rb := p.f.rolledBack; rb != nil && len(rb.data.FailingRoutes) > 0 {
		var where []string
		for _, r := range rb.data.FailingRoutes {
			where = append(where, fmt.Sprintf("`%s` %s errors in %s requests", r.Route, num(r.Errors), num(r.Requests)))
		}
		p.printf("**Where.** Errors on %s by route during the failing step: %s.\n\n", p.inc.AffectedVersion, strings.Join(where, "; "))
	}
}

func (p *postMortem) status() string {
	switch p.inc.Status {
	case Resolved:
		s := "resolved at " + stamp(p.inc.ResolvedAt)
		if p.inc.Resolution != "" {
			s += ": " + p.inc.Resolution
		}
		return s
	case Stabilized:
		return "stabilized since " + stamp(p.inc.MitigatedAt)
	default:
		return string(p.inc.Status)
	}
}

func (p *postMortem) reason() string {
	if line := metricsLine(p.inc.Metrics); line != "" {
		return line
	}
	if p.inc.Reason != "" {
		return p.inc.Reason
	}
	for _, ev := range []*decided{p.f.rolledBack, p.f.firstFail} {
		if ev != nil && ev.data.Reason != "" {
			return ev.data.Reason
		}
	}
	return ""
}

func (p *postMortem) impact() string {
	f, inc := p.f, p.inc
	var parts []string
	end := f.stableAt(inc)
	if f.healthySince != nil && !end.IsZero() {
		share := "the canary's share of traffic"
		if w := f.failWeight(); w > 0 {
			share = fmt.Sprintf("the canary's %s%% of traffic", num(w))
		}
		parts = append(parts, fmt.Sprintf("At most %s of partial errors, limited to %s: from the last healthy reading at %s to traffic back on %s at %s. The stable version kept serving the rest; there was no full outage.",
			end.Sub(f.healthySince.Time).Round(time.Second), share, clock(f.healthySince.Time), orUnknown(inc.StableVersion), clock(end)))
	} else {
		parts = append(parts, fmt.Sprintf("Traffic was back on %s at %s.", orUnknown(inc.StableVersion), clock(end)))
	}
	if n, ok := f.canaryErrors(); ok {
		parts = append(parts, fmt.Sprintf("The router counted %s failed requests on %s during the canary.", num(n), inc.AffectedVersion))
	}
	if c, ok := f.decidingCheck(); ok && c.Samples > 0 {
		parts = append(parts, fmt.Sprintf("The deciding check (%s) saw %s errors in %s requests.", c.Metric, num(c.Errors), num(c.Samples)))
	}
	return strings.Join(parts, " ")
}

func (p *postMortem) timeline() {
	p.printf("## Timeline\n\n")
	if len(p.f.events) == 0 {
		p.printf("The journal holds no event for rollout %s or incident %s.\n\n", p.inc.Rollout, p.inc.ID)
		return
	}
	layout, note := "15:04:05", "Times are UTC"
	first := p.f.events[0].Time.UTC()
	oneDay := true
	for _, ev := range p.f.events {
		if ev.Time.UTC().Format(time.DateOnly) != first.Format(time.DateOnly) {
			oneDay = false
		}
	}
	if oneDay {
		note += ", on " + first.Format(time.DateOnly)
	} else {
		layout = "2006-01-02 15:04:05"
	}
	p.printf("%s.\n\n| Time | Event | What happened |\n|---|---|---|\n", note)
	for _, ev := range p.f.events {
		p.printf("| %s | %s | %s |\n", ev.Time.UTC().Format(layout), ev.Kind, cell(describe(ev)))
	}
	p.printf("\n")
}

func (p *postMortem) metrics() {
	p.printf("## Metrics at each decision\n\n")
	if len(p.f.verdicts) == 0 {
		p.printf("No analysis verdict was recorded for rollout %s.\n\n", p.inc.Rollout)
		return
	}
	for _, v := range p.f.verdicts {
		p.printf("### %s UTC: %s\n\n", v.Time.UTC().Format("15:04:05"), orDash(v.data.Verdict))
		if v.data.Reason != "" {
			p.printf("%s\n\n", v.data.Reason)
		}
		if len(v.data.Checks) == 0 {
			p.printf("No check values were recorded with this verdict.\n\n")
			continue
		}
		weight := "-"
		if v.data.Weight != nil {
			weight = num(*v.data.Weight) + "%"
		}
		p.printf("| Weight | Metric | Value | Threshold | Samples | Errors | Result |\n|---|---|---|---|---|---|---|\n")
		for _, c := range v.data.Checks {
			p.printf("| %s | %s | %s | %s | %s | %s | %s |\n", weight, cell(c.Metric), num(c.Value), num(c.Threshold),
				num(c.Samples), num(c.Errors), orDash(c.result()))
		}
		p.printf("\n")
	}
}

func (p *postMortem) changes() {
	p.printf("## Changes in %s\n\n", p.inc.AffectedVersion)
	switch {
	case len(p.commits) == 0 && p.inc.StableVersion != "":
		p.printf("No commits were given between %s and %s; list them with `git log %s..%s`.\n\n",
			p.inc.StableVersion, p.inc.AffectedVersion, p.inc.StableVersion, p.inc.AffectedVersion)
		return
	case len(p.commits) == 0:
		p.printf("No commits were given for %s.\n\n", p.inc.AffectedVersion)
		return
	}
	p.printf("Commits between %s and %s:\n\n| Commit | Subject | Author |\n|---|---|---|\n", orUnknown(p.inc.StableVersion), p.inc.AffectedVersion)
	for _, c := range p.commits {
		hash := c.Hash
		if len(hash) > 7 {
			hash = hash[:7]
		}
		p.printf("| `%s` | %s | %s |\n", hash, cell(c.Subject), cell(c.Author))
	}
	p.printf("\n")
}

func (p *postMortem) rootCause() {
	p.printf("## Root cause\n\n")
	p.printf("_To be written by the team. Describe conditions, not people._\n\n")
	p.printf("- Which input, route or condition triggered the failure? (traces and logs filtered by version %s)\n", p.inc.AffectedVersion)
	p.printf("- Which change introduced it? (see Changes in %s)\n", p.inc.AffectedVersion)
	p.printf("- Why did the tests, dev and staging not catch it? Which data was not represented?\n")
	p.printf("- Was a feature flag or configuration difference between environments involved?\n\n")
}

func (p *postMortem) wentWell() {
	f, inc := p.f, p.inc
	p.printf("## What went well\n\n")
	if f.firstFail != nil {
		p.printf("- Detection was automatic: analysis judged %s unhealthy at %s", inc.AffectedVersion, clock(f.firstFail.Time))
		if c, ok := f.decidingCheck(); ok {
			p.printf(" (%s %s above %s)", c.Metric, num(c.Value), num(c.Threshold))
		}
		p.printf(", before anyone had to notice.\n")
	}
	end := f.stableAt(inc)
	p.printf("- Rollback was automatic: 100%% of traffic was back on %s at %s", orUnknown(inc.StableVersion), clock(end))
	if f.firstFail != nil && !end.IsZero() {
		p.printf(", %s after the first failing verdict", end.Sub(f.firstFail.Time).Round(time.Second))
	}
	p.printf("; no one had to decide.\n")
	p.printf("- Incident %s was opened at %s", inc.ID, clock(inc.OpenedAt))
	if f.announced != nil {
		p.printf(" and announced in %s at %s", inc.Channel, clock(f.announced.Time))
	}
	p.printf(" with the affected version, the impacted metrics and the rollback already done.\n\n")
}

func (p *postMortem) actionItems() {
	inc := p.inc
	p.printf("## Action items\n\n")
	p.printf("- [ ] Add a test dataset for the failing input class to %s's tests, so the regression path is covered before release.\n", inc.Service)
	p.printf("- [ ] Add a preventive metric and alert on the failing route of %s", inc.Service)
	if c, ok := p.f.decidingCheck(); ok {
		p.printf(" (the canary failed on %s)", c.Metric)
	}
	p.printf(".\n")
	p.printf("- [ ] Revisit the canary thresholds, step weights and bake time for %s in %s.\n", inc.Service, inc.Env)
	p.printf("- [ ] Ship the fix through the hotfix path and confirm it in a canary.\n")
}

// describe is the timeline line of an event.
func describe(ev decided) string {
	d := ev.data
	switch ev.Kind {
	case "rollout.started":
		if d.ToVersion != "" {
			s := fmt.Sprintf("Rollout %s started: %s -> %s", ev.Rollout, orUnknown(d.FromVersion), d.ToVersion)
			if len(d.Steps) > 0 {
				var steps []string
				for _, w := range d.Steps {
					steps = append(steps, num(w)+"%")
				}
				s += ", steps " + strings.Join(steps, ", ")
			}
			if d.Profile != "" {
				s += " (" + d.Profile + " profile)"
			}
			return s
		}
	case "rollout.step":
		if d.Weight != nil {
			return fmt.Sprintf("%s takes %s%% of traffic", ev.Version, num(*d.Weight))
		}
	case "rollout.verdict":
		if d.Verdict != "" {
			s := "Analysis: " + d.Verdict
			if d.Weight != nil {
				s = fmt.Sprintf("Analysis at %s%%: %s", num(*d.Weight), d.Verdict)
			}
			if d.Reason != "" {
				s += " (" + d.Reason + ")"
			}
			return s
		}
	case "rollout.rolledback":
		s := "Rolled back " + ev.Version
		if d.StableVersion != "" {
			s += ": 100% of traffic on " + d.StableVersion
		}
		if d.Reason != "" {
			s += " (" + d.Reason + ")"
		}
		return s
	case "rollout.promoted":
		return fmt.Sprintf("Promoted %s to 100%% of traffic", ev.Version)
	}
	if ev.Message != "" {
		return ev.Message
	}
	return ev.Kind
}

// cell makes s safe inside a markdown table cell.
func cell(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
