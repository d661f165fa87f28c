package artifact

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/config"
)

// Judgement is a vulnerability gate's decision on one finding.
type Judgement struct {
	ID        string `json:"id"`
	Module    string `json:"module"`
	Severity  string `json:"severity"` // as judged: the record's, or the gate's unknown setting
	Rated     bool   `json:"rated"`    // false when the record rates no severity
	Reachable bool   `json:"reachable"`
	// Decision is "blocks", "allowed" (by an unexpired allowance), "below"
	// (under the gate's severity) or "unreachable" (the gate counts reachable
	// findings only).
	Decision string `json:"decision"`
	Note     string `json:"note,omitempty"` // the allowance, or why it no longer counts
}

// judge applies gate g to the findings of r at now. It returns every finding's
// judgement and the error naming those that block, which wraps ErrVulnerable.
func judge(g *config.VulnGate, r Report, now time.Time, env, where, dgst string) ([]Judgement, error) {
	if g == nil {
		return nil, nil
	}
	block := severityRank[g.Block]
	unknown := g.Unknown
	if unknown == "" {
		unknown = "high"
	}
	var out []Judgement
	var blocked []string
	for _, f := range r.Findings {
		j := Judgement{ID: f.ID, Module: f.Module, Severity: f.Severity, Rated: f.Severity != "", Reachable: f.Reachable}
		if !j.Rated {
			j.Severity = unknown
		}
		switch {
		case severityRank[j.Severity] < block:
			j.Decision = "below"
		case g.Reachable && !f.Reachable:
			j.Decision, j.Note = "unreachable", "only the module is present; the gate counts reachable findings"
		default:
			j.Decision = "blocks"
			if a, ok := allowanceFor(g.Allow, f); ok {
				until, _ := a.UntilTime() // validated with the configuration
				if now.Before(until) {
					j.Decision, j.Note = "allowed", fmt.Sprintf("allowed until %s: %s", a.Until, a.Reason)
				} else {
					j.Note = fmt.Sprintf("its allowance expired after %s (%s): renew it with a new date, or upgrade %s", a.Until, a.Reason, f.Module)
				}
			}
		}
		if j.Decision == "blocks" {
			blocked = append(blocked, describeBlocked(f, j))
		}
		out = append(out, j)
	}
	if len(blocked) == 0 {
		return out, nil
	}
	return out, fmt.Errorf("%w: %s is refused by %s's gate (block: %s): %s; fix: upgrade the module to the fixed version and release again, or add to %s: allow: [{id: ..., until: YYYY-MM-DD, reason: ...}]",
		ErrVulnerable, dgst, env, g.Block, strings.Join(blocked, "; "), where)
}

func describeBlocked(f Finding, j Judgement) string {
	sev := j.Severity
	if !j.Rated {
		sev += " (unrated, judged as the gate's unknown)"
	}
	reach := "module present"
	if f.Reachable {
		reach = "reachable"
	}
	fixed := "no fix yet"
	if f.Fixed != "" {
		fixed = "fixed in " + f.Fixed
	}
	s := fmt.Sprintf("%s %s in %s %s, %s, %s", f.ID, sev, f.Module, f.Version, reach, fixed)
	if j.Note != "" {
		s += ": " + j.Note
	}
	return s
}

// allowanceFor finds the allowance naming f by its id or an alias.
func allowanceFor(allow []config.Allowance, f Finding) (config.Allowance, bool) {
	for _, a := range allow {
		if strings.EqualFold(a.ID, f.ID) || slices.ContainsFunc(f.Aliases, func(x string) bool { return strings.EqualFold(x, a.ID) }) {
			return a, true
		}
	}
	return config.Allowance{}, false
}
