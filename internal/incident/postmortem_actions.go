package incident

import (
	"fmt"
	"strings"
	"time"
)

// Limits past which the draft proposes an action item.
const (
	// lateReadings: a decision that needed this many readings after the first
	// failed request fired late.
	lateReadings = 5
	// slowMitigation: traffic took longer than this to go back after the decision.
	slowMitigation = 30 * time.Second
)

// actionItems are generated from what happened, each saying why it is proposed.
func (p *postMortem) actionItems() section {
	inc, f := p.inc, p.f
	var items []string
	route, _, _, hasRoute := p.failingRoute()
	test := fmt.Sprintf("Add a regression test for the failing input to %s's tests", inc.Service)
	if hasRoute {
		test = fmt.Sprintf("Add a regression test for the input that fails on `%s` to %s's tests", route, inc.Service)
		if p.found && p.evidence.TraceID != "" {
			test += fmt.Sprintf(" (trace `%s` shows one)", p.evidence.TraceID)
		}
	}
	switch {
	case len(p.src.FixCommits) > 0:
		test += fmt.Sprintf("; check that %s's commits added it", inc.FixVersion)
	case len(p.src.Commits) > 0:
		test += fmt.Sprintf("; the changes in %s did not cover it", inc.AffectedVersion)
	}
	items = append(items, test+".")
	if envs := f.earlierEnvs(); len(envs) > 0 {
		items = append(items, fmt.Sprintf("Represent the failing input in %s's data (%s ran there without failing).", strings.Join(envs, " and "), inc.AffectedVersion))
	}
	if reads := p.readingsToDetect(); reads >= lateReadings {
		item := fmt.Sprintf("The rollback decision fired late: %d readings (%s) after the first failed request", reads, span(f.firstFail.Time.Sub(f.firstErr.Time)))
		if m := f.decidingMetric(); m != "" {
			if cfg, ok := f.configured(m); ok {
				item += fmt.Sprintf("; revisit %s's threshold (%s) for %s", m, threshold(pmReading{Metric: m}, cfg, true), inc.Env)
			}
		}
		items = append(items, item+".")
	}
	if f.firstFail != nil && f.rolledBack != nil && f.rolledBack.Time.Sub(f.firstFail.Time) > slowMitigation {
		items = append(items, fmt.Sprintf("Mitigation was slow: traffic went back to %s %s after the decision; find what delayed the rollback.",
			orUnknown(inc.StableVersion), span(f.rolledBack.Time.Sub(f.firstFail.Time))))
	}
	if inc.Alert == "" {
		item := "No alert fired before the canary's verdict: add an SLO to slipway.yaml"
		if hasRoute {
			item += fmt.Sprintf(" covering `%s`", route)
		}
		items = append(items, item+", so the same failure outside a rollout pages too.")
	}
	for _, fc := range p.evidence.Flags {
		if !p.found || fc.Errors == 0 || fc.Requests == 0 {
			continue
		}
		item := fmt.Sprintf("Flag `%s` = `%s` saw %s in %d requests: test the service under both of its variants", fc.Flag, fc.Variant, plural(float64(fc.Errors), "error"), fc.Requests)
		if inc.Status.Active() {
			item += fmt.Sprintf(", and keep it off in %s until the fix is confirmed", inc.Env)
		}
		items = append(items, item+".")
	}
	switch inc.Status {
	case Resolved:
		items = append(items, fmt.Sprintf("Review this draft together and close the incident: `slipway incidents close %s`.", inc.ID))
	case Closed:
	default:
		items = append(items, fmt.Sprintf("Ship the fix through the hotfix path and confirm it in a canary; its promotion resolves %s.", inc.ID))
	}
	return section{Title: "Action items", Blocks: []block{{Tasks: items}}}
}
