package rollout

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/store"
)

func (c *Controller) save(ctx context.Context, r *Rollout) error {
	if err := c.Store.Put(ctx, kind, r.ID, r); err != nil {
		return fmt.Errorf("rollout %s: save: %w", r.ID, err)
	}
	return nil
}

func (c *Controller) event(ctx context.Context, r *Rollout, kind, msg string, data map[string]any) {
	// The journal is best effort here: the state itself is already saved.
	_, _ = c.Store.Append(ctx, store.Event{Kind: kind, Service: r.Service, Env: r.Env, Version: r.Candidate.Version,
		Digest: r.Candidate.Digest, Rollout: r.ID, Message: msg, Data: data})
}

func verdictData(r *Rollout, v analysis.Verdict, seq analysis.SeqResult, decision analysis.Outcome, why string, elapsed time.Duration) map[string]any {
	checks := make([]map[string]any, 0, len(v.Results))
	blamed := blamedMetric(seq)
	for _, res := range v.Results {
		c := map[string]any{"metric": res.Metric, "value": res.Value, "threshold": res.Threshold,
			"samples": res.Samples, "errors": res.Errors, "passed": res.Passed(), "outcome": string(res.Outcome)}
		if seq.Outcome == analysis.Fail && res.Metric == blamed {
			// the evidence that failed the candidate is about this metric
			c["passed"], c["outcome"] = false, string(analysis.Fail)
		}
		if res.StableBound > 0 {
			c["stable"], c["stable_bound"] = res.Stable, res.StableBound
		}
		checks = append(checks, c)
	}
	// The sequential judge's evidence is one more check: its e-value against 1/alpha.
	checks = append(checks, map[string]any{"metric": "sequential", "value": seq.EValue, "threshold": seq.Threshold,
		"samples": seq.Candidate.Requests, "errors": seq.Candidate.Errors, "passed": seq.Outcome != analysis.Fail,
		"outcome": string(seq.Outcome), "leading": seq.Leading, "stable_requests": seq.Stable.Requests, "stable_errors": seq.Stable.Errors})
	verdict := "continue"
	switch decision {
	case analysis.Fail:
		verdict = "rollback"
	case analysis.Pass:
		verdict = "promote"
	}
	return map[string]any{"verdict": verdict, "outcome": string(decision), "reason": why, "checks": checks, "compared_with": r.reference(),
		"weight": r.Weight, "elapsed_s": elapsed.Seconds(), "min_requests": r.Criteria.MinRequests,
		"sequential": seq, "failing_routes": FailingRoutes(r.Routes)}
}

// blamedMetric is the check metric a sequential failure is about: errors for the
// errors, error-rate and per-route evidence, latency-p95 for slow requests.
func blamedMetric(seq analysis.SeqResult) string {
	switch seq.Leading {
	case analysis.StreamErrors, analysis.StreamErrorSLO, analysis.StreamRoutes, analysis.ErrorRate + " check":
		return analysis.ErrorRate
	case analysis.StreamLatency, analysis.LatencyP95 + " check":
		return analysis.LatencyP95
	case analysis.LatencyP99 + " check":
		return analysis.LatencyP99
	case analysis.StreamLogErrors, analysis.CriticalLogs + " check":
		return analysis.CriticalLogs
	}
	return ""
}

// RouteErrors is one route's share of the candidate's errors.
type RouteErrors struct {
	Route    string  `json:"route"`
	Requests float64 `json:"requests"`
	Errors   float64 `json:"errors"`
}

// FailingRoutes lists the routes that served errors, most errors first: where an
// investigation starts.
func FailingRoutes(routes map[string]analysis.RouteCounts) []RouteErrors {
	var out []RouteErrors
	for route, c := range routes {
		if c.Errors > 0 {
			out = append(out, RouteErrors{Route: route, Requests: c.Requests, Errors: c.Errors})
		}
	}
	slices.SortFunc(out, func(a, b RouteErrors) int {
		if a.Errors != b.Errors {
			return cmp.Compare(b.Errors, a.Errors)
		}
		return strings.Compare(a.Route, b.Route)
	})
	return out
}
