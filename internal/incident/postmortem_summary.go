package incident

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

func (p *postMortem) summary() section {
	inc, f := p.inc, p.f
	s := section{Title: "Summary"}
	versions := fmt.Sprintf("**Affected version:** %s", inc.AffectedVersion)
	if inc.Rollout != "" {
		versions += fmt.Sprintf(" (rollout %s)", inc.Rollout)
	}
	versions += "; **stable version:** " + orDash(inc.StableVersion)
	if inc.FixVersion != "" {
		versions += "; **fixed in:** " + inc.FixVersion
	}
	opened := "**Opened:** " + stamp(inc.OpenedAt)
	if inc.Channel != "" {
		opened += " in " + inc.Channel
	}
	list := []string{
		fmt.Sprintf("**Service:** %s in %s", inc.Service, inc.Env),
		versions,
		fmt.Sprintf("**Severity:** %s; **status:** %s", orDash(inc.Severity), p.status()),
		opened,
	}
	list = append(list, p.roles()...)
	s.Blocks = append(s.Blocks, block{List: list})

	what := fmt.Sprintf("%s %s was rolled out to %s as a canary", inc.Service, inc.AffectedVersion, inc.Env)
	if inc.Alert != "" && f.started == nil {
		what = fmt.Sprintf("The alert %s fired on %s in %s at %s, while %s served", inc.Alert, inc.Service, inc.Env, clock(inc.StartedAt), inc.AffectedVersion)
	}
	if w := f.weightAtFailure(); w > 0 {
		what += fmt.Sprintf(" and was taking %s%% of traffic when analysis judged it unhealthy", num(w))
	}
	if f.rolledBack != nil || inc.RollbackExecuted {
		what += fmt.Sprintf("; Slipway rolled it back automatically to %s", orUnknown(inc.StableVersion))
	}
	if reason := p.reason(); reason != "" {
		what += " (" + reason + ")"
	}
	s.Blocks = append(s.Blocks, para("What happened.", what+"."), para("Impact.", p.impact()))
	if rb := f.rolledBack; rb != nil && len(rb.data.FailingRoutes) > 0 {
		var where []string
		for _, r := range rb.data.FailingRoutes {
			where = append(where, fmt.Sprintf("`%s` %s errors in %s requests", r.Route, num(r.Errors), num(r.Requests)))
		}
		s.Blocks = append(s.Blocks, para("Where.", fmt.Sprintf("Errors on %s by route during the failing step: %s.", inc.AffectedVersion, strings.Join(where, "; "))))
	}
	return s
}

func (p *postMortem) status() string {
	inc := p.inc
	switch inc.Status {
	case Closed:
		return "closed at " + stamp(inc.ClosedAt)
	case Resolved:
		s := "resolved at " + stamp(inc.ResolvedAt)
		if inc.Resolution != "" {
			s += ": " + inc.Resolution
		}
		return s
	case Mitigated:
		return "mitigated since " + stamp(p.f.stableAt(inc))
	}
	return orDash(string(inc.Status))
}

// roles names who did what, from the journal's actors and the commits.
func (p *postMortem) roles() []string {
	var out []string
	commander := p.inc.Commander
	if commander == "" {
		for _, u := range p.inc.Updates {
			if u.By != "" && u.By != "slipway" {
				commander = u.By
				break
			}
		}
	}
	if commander == "" {
		commander = "not named yet (the first person to post an update with `slipway incidents update` takes the role)"
	}
	out = append(out, "**Incident commander:** "+commander)
	if p.f.started != nil && person(p.f.started.Actor) {
		out = append(out, fmt.Sprintf("**Rollout started by:** %s (%s)", p.f.started.Actor, orDash(p.f.started.Via)))
	}
	if a := authors(p.src.Commits); a != "" {
		out = append(out, fmt.Sprintf("**Changes in %s by:** %s", p.inc.AffectedVersion, a))
	}
	if a := authors(p.src.FixCommits); a != "" {
		out = append(out, fmt.Sprintf("**Fix %s by:** %s", orDash(p.inc.FixVersion), a))
	}
	if r := p.f.resolved; r != nil && person(r.Actor) {
		out = append(out, "**Resolved by:** "+r.Actor)
	}
	return out
}

// person reports whether an actor is a person, not Slipway itself.
func person(actor string) bool {
	a := strings.ToLower(actor)
	return a != "" && a != "slipway" && !strings.HasPrefix(a, "slipway <")
}

// authors lists the commits' distinct author names in order.
func authors(commits []Commit) string {
	var names []string
	for _, c := range commits {
		if n := authorName(c.Author); n != "-" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return strings.Join(names, ", ")
}

func (p *postMortem) reason() string {
	if _, failed, ok := p.f.deciding(); ok {
		var parts []string
		for _, c := range failed {
			cfg, known := p.f.configured(c.Metric)
			parts = append(parts, fmt.Sprintf("%s %s, demanded %s", c.Metric, value(c.Metric, c.Value), threshold(c, cfg, known)))
		}
		return strings.Join(parts, "; ")
	}
	if line := metricsLine(p.inc.Metrics); line != "" {
		return line
	}
	return p.inc.Reason
}

// impact is measured the way the rollout counts it: the failed requests the router
// counted on the canary, and the time from the first failed request to traffic
// back on the stable version, bounded by the readings around it.
func (p *postMortem) impact() string {
	inc, f := p.inc, p.f
	var parts []string
	end := f.stableAt(inc)
	if n, ok := f.failedRequests(); ok {
		s := fmt.Sprintf("%s failed requests on %s", num(n), inc.AffectedVersion)
		if n == 1 {
			s = fmt.Sprintf("1 failed request on %s", inc.AffectedVersion)
		}
		if w := f.weightAtFailure(); w > 0 {
			s += fmt.Sprintf(", limited to the canary's %s%% of traffic", num(w))
		}
		parts = append(parts, s+".")
	}
	switch {
	case f.firstErr != nil && !end.IsZero():
		atMost := end.Sub(f.firstErr.Time)
		from := "when the rollout began"
		if f.lastClean != nil {
			atMost = end.Sub(f.lastClean.Time)
			from = "the reading before, at " + clock(f.lastClean.Time) + ", had none"
		}
		parts = append(parts, fmt.Sprintf("Users met errors for at most %s: the first failed request was counted in the reading at %s (%s); traffic was back on %s at %s.",
			span(atMost), clock(f.firstErr.Time), from, orUnknown(inc.StableVersion), clock(end)))
	case !end.IsZero():
		if d, ok := inc.TimeToMitigate(); ok && !inc.StartedAt.IsZero() {
			parts = append(parts, fmt.Sprintf("From the first evidence of failure at %s to traffic back on %s at %s: %s.",
				clock(inc.StartedAt), orUnknown(inc.StableVersion), clock(end), span(d)))
		} else {
			parts = append(parts, fmt.Sprintf("Traffic was back on %s at %s.", orUnknown(inc.StableVersion), clock(end)))
		}
	}
	if f.weightAtFailure() > 0 {
		parts = append(parts, "The stable version kept serving the rest; there was no full outage.")
	}
	if len(parts) == 0 {
		return "The journal does not say how many requests failed; complete this from the service's metrics."
	}
	return strings.Join(parts, " ")
}

// start is when the failure began at the earliest: the last reading without a
// failed request before the first with one (so the response times are upper
// bounds, as the impact line states), else what the incident recorded.
func (p *postMortem) start() (time.Time, string) {
	if p.f.firstErr != nil && p.f.lastClean != nil {
		return p.f.lastClean.Time, "last reading without failures"
	}
	if p.f.firstErr != nil {
		return p.f.firstErr.Time, "first failed request counted"
	}
	for _, t := range []time.Time{p.inc.StartedAt, p.inc.DetectedAt, p.inc.OpenedAt} {
		if !t.IsZero() {
			return t, "first evidence of failure"
		}
	}
	return time.Time{}, ""
}

// response is the table of the incident's durations: detect, mitigate, resolve.
func (p *postMortem) response() section {
	s := section{Title: "Response"}
	start, what := p.start()
	t := &table{Head: []string{"Measure", "From", "To", "Took"}}
	row := func(measure, to string, at time.Time) {
		took := "-"
		if !at.IsZero() && !start.IsZero() && !at.Before(start) {
			took = span(at.Sub(start))
		}
		when := "not yet"
		if !at.IsZero() {
			when = to + " at " + clock(at)
		}
		t.Rows = append(t.Rows, []string{measure, what + " at " + clock(start), when, took})
	}
	detected, how := p.inc.DetectedAt, "analysis decided to roll back"
	if p.f.firstFail != nil {
		detected = p.f.firstFail.Time
	} else if p.inc.Alert != "" {
		how = "the alert reached Slipway"
		if !p.inc.OpenedAt.IsZero() {
			detected = p.inc.OpenedAt
		}
	}
	row("Time to detect", how, detected)
	row("Time to mitigate", "100% of traffic on "+orUnknown(p.inc.StableVersion), p.f.stableAt(p.inc))
	fixed := "resolved"
	if p.inc.FixVersion != "" {
		fixed = p.inc.FixVersion + " promoted, resolved"
	}
	row("Time to resolve", fixed, p.inc.ResolvedAt)
	s.Blocks = append(s.Blocks, block{Table: t})
	if p.f.lastClean != nil && p.f.firstErr != nil {
		s.Blocks = append(s.Blocks, para("", fmt.Sprintf("The first failure happened between the reading at %s and the one at %s that counted it; the durations start at the former, so they are upper bounds.",
			clock(p.f.lastClean.Time), clock(p.f.firstErr.Time))))
	}
	return s
}
