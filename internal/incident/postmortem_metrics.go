package incident

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

func (p *postMortem) timeline() section {
	s := section{Title: "Timeline"}
	events := p.timelineEvents()
	if len(events) == 0 {
		s.Blocks = append(s.Blocks, para("", fmt.Sprintf("The journal holds no event for rollout %s or incident %s.", orDash(p.inc.Rollout), p.inc.ID)))
		return s
	}
	layout, note := "15:04:05", "Times are UTC"
	first := events[0].Time.UTC()
	oneDay := true
	for _, ev := range events {
		if ev.Time.UTC().Format(time.DateOnly) != first.Format(time.DateOnly) {
			oneDay = false
		}
	}
	if oneDay {
		note += ", on " + first.Format(time.DateOnly)
	} else {
		layout = "2006-01-02 15:04:05"
	}
	if skipped := len(p.f.verdicts) - p.keptVerdicts(); skipped > 0 {
		note += fmt.Sprintf("; %d readings that changed nothing are left out (see Deciding metrics)", skipped)
	}
	t := &table{Head: []string{"Time", "Who", "Event", "What happened"}}
	for _, ev := range events {
		t.Rows = append(t.Rows, []string{ev.Time.UTC().Format(layout), who(ev), ev.Kind, p.describe(ev)})
	}
	s.Blocks = append(s.Blocks, para("", note+"."), block{Table: t})
	return s
}

// timelineEvents are the events worth a line: every event but the verdicts that
// only said "continue" (the first reading that counted an error stays), with the
// affected version's earlier deploys and the fix's release and rollout.
func (p *postMortem) timelineEvents() []pmEvent {
	var out []pmEvent
	for _, ev := range p.f.events {
		if ev.Kind == "rollout.verdict" && !p.keepVerdict(ev) || ev.Kind == "incident.postmortem" {
			continue
		}
		out = append(out, ev)
	}
	out = append(out, p.f.earlier...)
	out = append(out, p.f.fix...)
	slices.SortStableFunc(out, func(a, b pmEvent) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

func (p *postMortem) keepVerdict(ev pmEvent) bool {
	return ev.data.Verdict != "continue" || p.f.firstErr != nil && ev.ID == p.f.firstErr.ID
}

func (p *postMortem) keptVerdicts() int {
	n := 0
	for _, v := range p.f.verdicts {
		if p.keepVerdict(v) {
			n++
		}
	}
	return n
}

// who is the person behind an event, or slipway for what Slipway decided alone.
func who(ev pmEvent) string {
	switch {
	case strings.HasPrefix(ev.Kind, "rollout.verdict"), ev.Kind == "rollout.step", ev.Kind == "rollout.rolledback",
		ev.Kind == EventOpened, ev.Kind == EventMitigated, ev.Kind == EventStabilized, ev.Kind == EventAnnounced,
		ev.Kind == EventPaged, ev.Kind == "incident.postmortem":
		return "slipway"
	case person(ev.Actor):
		return ev.Actor
	}
	return "slipway"
}

// describe is the timeline line of an event.
func (p *postMortem) describe(ev pmEvent) string {
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
		if p.f.firstErr != nil && ev.ID == p.f.firstErr.ID && d.Verdict == "continue" {
			return fmt.Sprintf("First failed request counted: %s in %s requests on %s; analysis: not enough evidence yet", plural(d.errors(), "error"), num(samples(d)), ev.Version)
		}
		s := "Analysis: " + d.Verdict
		if d.Weight != nil {
			s = fmt.Sprintf("Analysis at %s%%: %s", num(*d.Weight), d.Verdict)
		}
		if d.Reason != "" {
			s += " (" + d.Reason + ")"
		}
		return s
	case "rollout.rolledback":
		s := "Rolled back " + ev.Version
		if d.StableVersion != "" {
			s += ": 100% of traffic on " + d.StableVersion
		}
		return s
	case "rollout.promoted":
		return fmt.Sprintf("Promoted %s to 100%% of traffic", ev.Version)
	case EventUpdated:
		if d.Text != "" {
			return d.Text
		}
	}
	if ev.Message != "" {
		return ev.Message
	}
	return ev.Kind
}

func samples(d pmData) float64 {
	var n float64
	for _, c := range d.Checks {
		n = max(n, c.Samples)
	}
	return n
}

// metrics is one table of the checks at the decision, with units and what each
// threshold means, and a chart of the deciding metric over the readings.
func (p *postMortem) metrics() section {
	s := section{Title: "Deciding metrics"}
	f := p.f
	ev, _, ok := f.deciding()
	if !ok && len(f.verdicts) > 0 {
		ev, ok = f.verdicts[len(f.verdicts)-1], true
	}
	if !ok || len(ev.data.Checks) == 0 {
		text := fmt.Sprintf("No analysis reading was recorded for rollout %s.", orDash(p.inc.Rollout))
		if p.inc.Rollout == "" {
			text = "No canary analysis was running"
			if p.inc.Alert != "" {
				text += "; the alert " + p.inc.Alert + " detected the failure"
			}
			text += "."
		}
		s.Blocks = append(s.Blocks, para("", text))
		return s
	}
	cand, stable := orDash(p.inc.AffectedVersion), orDash(p.inc.StableVersion)
	intro := fmt.Sprintf("The checks as analysis read them at %s", clock(ev.Time))
	if ev.data.Weight != nil {
		intro += fmt.Sprintf(", %s at %s%% of traffic", cand, num(*ev.data.Weight))
	}
	intro += fmt.Sprintf(", beside %s over the same interval", stable)
	if n := len(f.verdicts); n > 1 {
		intro += fmt.Sprintf(" (reading %d of %d since %s)", slices.IndexFunc(f.verdicts, func(v pmEvent) bool { return v.ID == ev.ID })+1, n, clock(f.verdicts[0].Time))
	}
	s.Blocks = append(s.Blocks, para("", intro+"."))
	var seq *pmReading
	for i := range ev.data.Checks {
		if ev.data.Checks[i].Metric == "sequential" {
			seq = &ev.data.Checks[i]
		}
	}
	t := &table{Head: []string{"Check", "Threshold", cand, stable, "Requests (" + cand + " / " + stable + ")", "Result"}}
	for _, c := range ev.data.Checks {
		cfg, known := f.configured(c.Metric)
		reqs := num(c.Samples)
		if seq != nil && seq.StableRequests > 0 {
			reqs += " / " + num(seq.StableRequests)
		}
		res := orDash(c.result())
		if res == "fail" {
			res = "**fail**"
		}
		t.Rows = append(t.Rows, []string{c.Metric, threshold(c, cfg, known), value(c.Metric, c.Value), stableValue(c, seq), reqs, res})
	}
	s.Blocks = append(s.Blocks, block{Table: t})
	if seq != nil && seq.Threshold > 0 {
		s.Blocks = append(s.Blocks, para("", fmt.Sprintf("The sequential test weighs the errors of %s against %s's over every reading of the step; it rolls back once its e-value reaches %s, which keeps the chance of rolling back a version no worse than stable under %s.",
			cand, stable, sig(seq.Threshold), sig(1/seq.Threshold))))
	}
	if c, ok := p.chart(); ok {
		s.Blocks = append(s.Blocks, block{Chart: &c})
	}
	return s
}

// chart draws the deciding metric (the error rate when none decided) of both
// versions over the rollout's readings, with the rollback marked.
func (p *postMortem) chart() (chart, bool) {
	metric := p.f.decidingMetric()
	if metric == "" {
		metric = "error-rate"
	}
	var cand, stable series
	cand.Name, stable.Name = p.inc.AffectedVersion, orDash(p.inc.StableVersion)
	for _, v := range p.f.verdicts {
		var seq, r *pmReading
		for i := range v.data.Checks {
			c := &v.data.Checks[i]
			switch canonical(c.Metric) {
			case "sequential":
				seq = c
			case canonical(metric):
				r = c
			}
		}
		if r == nil {
			continue
		}
		cand.Points = append(cand.Points, point{At: v.Time, V: r.Value})
		switch {
		case canonical(metric) == "error-rate" && seq != nil && seq.StableRequests > 0:
			stable.Points = append(stable.Points, point{At: v.Time, V: seq.StableErrors / seq.StableRequests})
		case r.Stable != 0 || r.StableBound != 0:
			stable.Points = append(stable.Points, point{At: v.Time, V: r.Stable})
		}
	}
	if len(cand.Points) == 0 {
		return chart{}, false
	}
	var marks []marker
	if end := p.f.stableAt(p.inc); !end.IsZero() && p.f.rolledBack != nil {
		marks = append(marks, marker{At: end, Label: "rollback"})
	}
	if cfg, ok := p.f.configured(metric); ok && !cfg.NoMax && cfg.Max > 0 && cfg.Max <= 4*peak(cand, stable) {
		marks = append(marks, marker{V: cfg.Max, Label: "threshold " + value(metric, cfg.Max)})
	}
	ss := []series{cand}
	if len(stable.Points) > 0 {
		ss = append(ss, stable)
	}
	title := fmt.Sprintf("%s of %s and %s at each reading of rollout %s", metric, cand.Name, stable.Name, orDash(p.inc.Rollout))
	return lineChart(title, func(v float64) string { return value(metric, v) }, ss, marks), true
}

// peak is the largest value the series reach.
func peak(ss ...series) float64 {
	var top float64
	for _, s := range ss {
		for _, p := range s.Points {
			top = max(top, p.V)
		}
	}
	return top
}
