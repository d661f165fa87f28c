package incident

import (
	"fmt"
	"strings"
)

// investigation shows what the traces kept for the affected version say: the
// failing route, one failing request with its spans, the feature flags' variants.
func (p *postMortem) investigation() section {
	s := section{Title: "Investigation"}
	inc, ev := p.inc, p.evidence
	switch {
	case p.traceErr != nil:
		s.Blocks = append(s.Blocks, para("", fmt.Sprintf("The kept traces could not be read: %v. Query them with `slipway traces --env %s --version %s --errors`.", p.traceErr, inc.Env, inc.AffectedVersion)))
	case !p.found:
		text := fmt.Sprintf("No trace of %s was kept around the incident", inc.AffectedVersion)
		if p.src.Investigator == nil {
			text = "No trace store was consulted for this draft"
		}
		if _, _, _, ok := p.failingRoute(); ok {
			text += "; the router's counts by route are in the Summary"
		}
		s.Blocks = append(s.Blocks, para("", text+"."))
	default:
		s.Blocks = append(s.Blocks, para("Failing route.", fmt.Sprintf("`%s`: %d errors in %d requests on %s.", ev.Route, ev.Errors, ev.Requests, inc.AffectedVersion)))
		if ev.TraceID != "" {
			text := fmt.Sprintf("Trace `%s`", ev.TraceID)
			if ev.Error != "" {
				text += " failed with: " + ev.Error
			}
			s.Blocks = append(s.Blocks, para("Example request.", text+"."))
			if len(ev.Spans) > 0 {
				s.Blocks = append(s.Blocks, block{List: ev.Spans})
			}
		}
		if len(ev.Flags) > 0 {
			t := &table{Head: []string{"Flag", "Variant", "Requests", "Errors", "Error rate"}}
			for _, fc := range ev.Flags {
				rate := "-"
				if fc.Requests > 0 {
					rate = percent(float64(fc.Errors) / float64(fc.Requests))
				}
				t.Rows = append(t.Rows, []string{"`" + fc.Flag + "`", fc.Variant, fmt.Sprint(fc.Requests), fmt.Sprint(fc.Errors), rate})
			}
			s.Blocks = append(s.Blocks, para("Feature flags.", fmt.Sprintf("Evaluations by %s's requests, by variant:", inc.AffectedVersion)), block{Table: t})
		}
	}
	return s
}

func (p *postMortem) changes() section {
	inc := p.inc
	s := section{Title: "Changes in " + inc.AffectedVersion}
	switch {
	case len(p.src.Commits) == 0 && inc.StableVersion != "":
		s.Blocks = append(s.Blocks, para("", fmt.Sprintf("No commits were given between %s and %s; list them with `git log %s..%s`.",
			inc.StableVersion, inc.AffectedVersion, inc.StableVersion, inc.AffectedVersion)))
	case len(p.src.Commits) == 0:
		s.Blocks = append(s.Blocks, para("", fmt.Sprintf("No commits were given for %s.", inc.AffectedVersion)))
	default:
		s.Blocks = append(s.Blocks, para("", fmt.Sprintf("Commits between %s and %s:", orUnknown(inc.StableVersion), inc.AffectedVersion)),
			block{Table: commitTable(p.src.Commits)})
	}
	return s
}

// fix tells how the incident was resolved, once a fix version was promoted.
func (p *postMortem) fix() (section, bool) {
	inc := p.inc
	if inc.FixVersion == "" {
		return section{}, false
	}
	s := section{Title: "Fix"}
	text := fmt.Sprintf("%s resolved the incident", inc.FixVersion)
	for _, ev := range p.f.fix {
		switch ev.Kind {
		case "rollout.started":
			if ev.data.Profile != "" {
				text += fmt.Sprintf("; its rollout %s used the %s profile", ev.Rollout, ev.data.Profile)
			}
		case "rollout.promoted":
			text += fmt.Sprintf("; it took 100%% of %s's traffic at %s", inc.Env, stamp(ev.Time))
		}
	}
	if !inc.ResolvedAt.IsZero() {
		text += fmt.Sprintf("; the incident was resolved at %s", stamp(inc.ResolvedAt))
	}
	if inc.Resolution != "" {
		text += ": " + inc.Resolution
	}
	s.Blocks = append(s.Blocks, para("", text+"."))
	if len(p.src.FixCommits) > 0 {
		s.Blocks = append(s.Blocks, para("", fmt.Sprintf("Commits in %s:", inc.FixVersion)), block{Table: commitTable(p.src.FixCommits)})
	}
	return s, true
}

func (p *postMortem) rootCause() section {
	inc := p.inc
	s := section{Title: "Root cause"}
	s.Blocks = append(s.Blocks, para("", "_To be written by the team. Describe conditions, not people._"))
	var known []string
	if route, errs, reqs, ok := p.failingRoute(); ok {
		known = append(known, fmt.Sprintf("The failures were on `%s` (%s errors in %s requests on %s).", route, num(errs), num(reqs), inc.AffectedVersion))
	}
	if p.found && p.evidence.Error != "" {
		known = append(known, fmt.Sprintf("The example request failed with: %s.", p.evidence.Error))
	}
	for _, fc := range p.evidence.Flags {
		if fc.Errors > 0 {
			known = append(known, fmt.Sprintf("Flag `%s` was `%s` in %d of the failing requests.", fc.Flag, fc.Variant, fc.Errors))
		}
	}
	if len(known) > 0 {
		s.Blocks = append(s.Blocks, para("What the data shows.", strings.Join(known, " ")))
	}
	s.Blocks = append(s.Blocks, block{List: []string{
		fmt.Sprintf("Which input, route or condition triggered the failure? (`slipway traces --env %s --version %s --errors`, `slipway logs --version %s --level error`)", inc.Env, inc.AffectedVersion, inc.AffectedVersion),
		fmt.Sprintf("Which change introduced it? (see Changes in %s)", inc.AffectedVersion),
		"Why did the tests, dev and staging not catch it? Which data was not represented?",
		"Was a feature flag or configuration difference between environments involved?",
	}})
	return s
}

// failingRoute is the route that failed most: from the traces when they were
// kept, else from the router's counts in the rollback.
func (p *postMortem) failingRoute() (route string, errs, reqs float64, ok bool) {
	if p.found && p.evidence.Route != "" {
		return p.evidence.Route, float64(p.evidence.Errors), float64(p.evidence.Requests), true
	}
	for _, ev := range []*pmEvent{p.f.rolledBack, p.f.firstFail} {
		if ev == nil {
			continue
		}
		for _, r := range ev.data.FailingRoutes {
			if r.Errors > errs {
				route, errs, reqs, ok = r.Route, r.Errors, r.Requests, true
			}
		}
		if ok {
			return route, errs, reqs, ok
		}
	}
	return "", 0, 0, false
}

func (p *postMortem) wentWell() section {
	f, inc := p.f, p.inc
	var items []string
	if f.firstFail != nil {
		item := fmt.Sprintf("Detection was automatic: analysis judged %s unhealthy at %s", inc.AffectedVersion, clock(f.firstFail.Time))
		if f.firstErr != nil {
			item += fmt.Sprintf(", %s after the first failed request was counted", span(f.firstFail.Time.Sub(f.firstErr.Time)))
		}
		items = append(items, item+", before anyone had to notice.")
	}
	if f.rolledBack != nil {
		item := fmt.Sprintf("Rollback was automatic: 100%% of traffic was back on %s at %s", orUnknown(inc.StableVersion), clock(f.rolledBack.Time))
		if f.firstFail != nil {
			item += fmt.Sprintf(", %s after the decision", span(f.rolledBack.Time.Sub(f.firstFail.Time)))
		}
		items = append(items, item+"; no one had to decide.")
	}
	if w := f.weightAtFailure(); w > 0 {
		items = append(items, fmt.Sprintf("The canary limited the blast radius to %s%% of traffic.", num(w)))
	}
	item := fmt.Sprintf("Incident %s was opened at %s", inc.ID, clock(inc.OpenedAt))
	if f.announced != nil && inc.Channel != "" {
		item += fmt.Sprintf(" and announced in %s at %s", inc.Channel, clock(f.announced.Time))
	}
	if f.rolledBack != nil || inc.RollbackExecuted {
		item += " with the affected version, the impacted metrics and the rollback already done"
	} else if inc.Alert != "" {
		item += fmt.Sprintf(" from the alert %s, naming the version that was deployed when it started", inc.Alert)
	}
	items = append(items, item+".")
	for _, ev := range f.fix {
		if ev.Kind == "rollout.promoted" {
			items = append(items, fmt.Sprintf("The fix %s went through a canary of its own before it took all of %s's traffic.", inc.FixVersion, inc.Env))
		}
	}
	return section{Title: "What went well", Blocks: []block{{List: items}}}
}

func (p *postMortem) wentBadly() section {
	f, inc := p.f, p.inc
	var items []string
	if envs := f.earlierEnvs(); len(envs) > 0 {
		items = append(items, fmt.Sprintf("%s ran in %s without failing: their traffic did not carry the input that fails in %s.", inc.AffectedVersion, strings.Join(envs, " and "), inc.Env))
	}
	if n, ok := f.failedRequests(); ok && n > 0 {
		items = append(items, fmt.Sprintf("%s failed for users before the rollback.", plural(n, "request")))
	}
	if reads := p.readingsToDetect(); reads >= lateReadings {
		items = append(items, fmt.Sprintf("Analysis needed %d readings after the first failed request to decide.", reads))
	}
	for _, v := range f.verdicts {
		if v.data.Verdict == "promote" && v.data.errors() > 0 && v.data.Weight != nil {
			items = append(items, fmt.Sprintf("The %s%% step passed with %s in %s requests: too little evidence to tell a bug from noise, so the failure reached a larger share.",
				num(*v.data.Weight), plural(v.data.errors(), "failed request"), num(samples(v.data))))
		}
	}
	if inc.Alert == "" {
		items = append(items, "No alert fired: only the canary's analysis saw the failure.")
	}
	if len(items) == 0 {
		items = append(items, "_To be written by the team._")
	}
	return section{Title: "What went less well", Blocks: []block{{List: items}}}
}

// readingsToDetect counts the readings from the first that counted an error to the
// one that decided, both included; 0 when the journal does not say.
func (p *postMortem) readingsToDetect() int {
	if p.f.firstErr == nil || p.f.firstFail == nil {
		return 0
	}
	n := 0
	for _, v := range p.f.verdicts {
		if !v.Time.Before(p.f.firstErr.Time) && !v.Time.After(p.f.firstFail.Time) {
			n++
		}
	}
	return n
}
