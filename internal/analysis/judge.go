package analysis

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Metric names understood by Judge.
const (
	ErrorRate  = "error-rate"
	LatencyP95 = "latency-p95"
	LatencyP99 = "latency-p99"
)

// Check is one condition: the candidate's Metric must stay at or below Max
// (a ratio for error-rate, seconds for latencies).
type Check struct {
	Metric string  `json:"metric"`
	Max    float64 `json:"max"`
}

// Criteria are the checks of a rollout step and the evidence they need.
type Criteria struct {
	Checks []Check `json:"checks"`
	// MinRequests is the candidate traffic a step needs before it can pass.
	MinRequests int `json:"min_requests"`
}

// Outcome is what the evidence says about the candidate so far.
type Outcome string

// Outcomes of Judge.
const (
	// Pass: every check holds on at least MinRequests requests.
	Pass Outcome = "pass"
	// Fail: a check is breached, and more traffic cannot undo it.
	Fail Outcome = "fail"
	// Inconclusive: not enough traffic yet to tell.
	Inconclusive Outcome = "inconclusive"
)

// Result is one check's evaluation.
type Result struct {
	Metric    string  `json:"metric"`
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	Samples   float64 `json:"samples"`
	Errors    float64 `json:"errors"`
	Outcome   Outcome `json:"outcome"`
}

// Passed reports whether the check held.
func (r Result) Passed() bool { return r.Outcome == Pass }

// Verdict is Judge's answer with its evidence.
type Verdict struct {
	Outcome Outcome  `json:"outcome"`
	Reason  string   `json:"reason"`
	Results []Result `json:"results"`
}

// Judge evaluates the candidate's traffic during a step (a difference of two reads).
//
// error-rate fails once errors/requests exceeds Max on at least MinRequests requests,
// or earlier when the errors already seen exceed Max*MinRequests: then even a run of
// successes up to the minimum could not bring the rate back under the threshold.
// Latency quantiles fail once they exceed Max on at least MinRequests requests.
// Judge passes only when every check passes.
func Judge(c Criteria, candidate Series) Verdict {
	v := Verdict{Outcome: Pass}
	minReq := float64(c.MinRequests)
	enough := candidate.Requests >= minReq && candidate.Requests > 0
	for _, ch := range c.Checks {
		r := Result{Metric: ch.Metric, Threshold: ch.Max, Samples: candidate.Requests, Errors: candidate.Errors, Outcome: Inconclusive}
		switch ch.Metric {
		case ErrorRate:
			if candidate.Requests > 0 {
				r.Value = candidate.Errors / candidate.Requests
			}
			switch {
			case enough && r.Value > ch.Max:
				r.Outcome = Fail
			case !enough && candidate.Errors > ch.Max*minReq:
				r.Outcome = Fail
			case enough:
				r.Outcome = Pass
			}
		case LatencyP95, LatencyP99:
			q := 0.95
			if ch.Metric == LatencyP99 {
				q = 0.99
			}
			r.Value = candidate.Latency.Quantile(q)
			if enough {
				r.Outcome = Pass
				if r.Value > ch.Max {
					r.Outcome = Fail
				}
			}
		default:
			r.Outcome = Fail
			v.Reason = fmt.Sprintf("unknown metric %q", ch.Metric)
		}
		v.Results = append(v.Results, r)
	}
	var failed, waiting []string
	for _, r := range v.Results {
		switch r.Outcome {
		case Fail:
			failed = append(failed, fmt.Sprintf("%s %s > %s", r.Metric, formatValue(r.Metric, r.Value), formatValue(r.Metric, r.Threshold)))
		case Inconclusive:
			waiting = append(waiting, r.Metric)
		}
	}
	switch {
	case len(failed) > 0:
		v.Outcome = Fail
		if v.Reason == "" {
			v.Reason = strings.Join(failed, ", ") + fmt.Sprintf(" (%.0f requests, %.0f errors)", candidate.Requests, candidate.Errors)
		}
	case len(waiting) > 0 || len(v.Results) == 0 && !enough:
		v.Outcome = Inconclusive
		v.Reason = fmt.Sprintf("%.0f of %d requests needed", candidate.Requests, c.MinRequests)
	default:
		v.Reason = fmt.Sprintf("all %d checks hold on %.0f requests", len(v.Results), candidate.Requests)
	}
	return v
}

// formatValue renders a metric value for people: percent for rates, ms for latencies.
func formatValue(metric string, v float64) string {
	if metric == ErrorRate {
		return fmt.Sprintf("%.2f%%", v*100)
	}
	return fmt.Sprintf("%.0fms", v*1000)
}

// Sub returns the traffic between two cumulative reads of one version: to - from.
// A counter that went down means the data plane restarted; then to is all there is.
func Sub(to, from Series) Series {
	if to.Requests < from.Requests {
		return to
	}
	d := Series{Version: to.Version, At: to.At, Requests: to.Requests - from.Requests, Errors: math.Max(0, to.Errors-from.Errors)}
	d.Latency = to.Latency.sub(from.Latency)
	if len(to.Routes) > 0 {
		d.Routes = make(map[string]RouteCounts, len(to.Routes))
		for k, rc := range to.Routes {
			prev := from.Routes[k]
			d.Routes[k] = RouteCounts{Requests: rc.Requests - prev.Requests, Errors: rc.Errors - prev.Errors}
		}
	}
	return d
}

func (h Histogram) sub(from Histogram) Histogram {
	if len(from.Bounds) != len(h.Bounds) {
		return h
	}
	d := Histogram{Bounds: h.Bounds, Counts: make([]float64, len(h.Counts)), Count: h.Count - from.Count, Sum: h.Sum - from.Sum}
	for i := range h.Counts {
		d.Counts[i] = h.Counts[i] - from.Counts[i]
	}
	return d
}

// Quantile estimates the q-quantile (0..1) in seconds by linear interpolation inside
// the bucket that holds it, as Prometheus' histogram_quantile does. It is 0 without
// observations and the highest finite bound when the quantile falls in +Inf.
func (h Histogram) Quantile(q float64) float64 {
	if h.Count <= 0 || len(h.Bounds) == 0 {
		return 0
	}
	rank := q * h.Count
	i := sort.Search(len(h.Counts), func(i int) bool { return h.Counts[i] >= rank })
	if i >= len(h.Bounds) {
		return h.Bounds[len(h.Bounds)-1]
	}
	lower, below := 0.0, 0.0
	if i > 0 {
		lower, below = h.Bounds[i-1], h.Counts[i-1]
	}
	inBucket := h.Counts[i] - below
	if inBucket <= 0 {
		return h.Bounds[i]
	}
	return lower + (h.Bounds[i]-lower)*(rank-below)/inBucket
}
