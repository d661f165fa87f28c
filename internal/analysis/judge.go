package analysis

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Metric names understood by Judge.
const (
	ErrorRate    = "error-rate"
	LatencyP95   = "latency-p95"
	LatencyP99   = "latency-p99"
	CPU          = "cpu"
	Memory       = "memory"
	CriticalLogs = "critical-logs"
)

// Check is one condition: the candidate's Metric must stay at or below Max (a ratio
// for error-rate, seconds for latencies, cores for cpu, bytes for memory, a count of
// lines for critical-logs) and, when VsStable is set, at or below VsStable times the
// stable version's value over the same interval.
type Check struct {
	Metric string  `json:"metric"`
	Max    float64 `json:"max"`
	// NoMax turns the absolute bound off: only VsStable applies.
	NoMax    bool    `json:"no_max,omitempty"`
	VsStable float64 `json:"vs_stable,omitempty"`
}

// Criteria are the checks of a rollout step and the evidence they need.
type Criteria struct {
	Checks []Check `json:"checks"`
	// MinRequests is the candidate traffic a step needs before it can pass.
	MinRequests int `json:"min_requests"`
	// LatencyFloor (seconds) is the smallest latency a bound relative to stable is
	// taken from: twice a 2ms p95 is not a regression users feel. Default 25ms.
	LatencyFloor float64 `json:"latency_floor,omitempty"`
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
	// Stable is the stable version's value over the same interval, and StableBound
	// the relative bound it gives (VsStable * Stable), when the check has one.
	Stable      float64 `json:"stable,omitempty"`
	StableBound float64 `json:"stable_bound,omitempty"`
	// Over records that the step's point estimate is above a bound. For the checks
	// Sequential judges with evidence it is information, not a failure.
	Over bool `json:"over,omitempty"`
}

// Passed reports whether the check held.
func (r Result) Passed() bool { return r.Outcome == Pass }

// Verdict is Judge's answer with its evidence.
type Verdict struct {
	Outcome Outcome  `json:"outcome"`
	Reason  string   `json:"reason"`
	Results []Result `json:"results"`
}

// Judge evaluates the candidate's traffic during a step (a difference of two reads),
// next to the stable version's over the same interval, and records each check's
// value, bound and sample size.
//
// Judge never fails error-rate, latency-p95/p99 or critical-logs on a point estimate:
// a small sample crosses any bound by chance. Those checks are judged with evidence
// by Sequential (see its Checks), under the rollout's alpha; here they pass once the
// step has MinRequests requests of the candidate (and of the stable, for a bound
// relative to it), and Over records that the estimate is above its bound. cpu and
// memory are measurements of the instances, not samples of requests: they fail on at
// least MinRequests requests when the candidate is over Max and uses more than the
// stable, or over VsStable times the stable. Judge passes only when every check
// passes; an unknown metric fails.
func Judge(c Criteria, candidate, stable Series) Verdict {
	v := Verdict{Outcome: Pass}
	minReq := float64(c.MinRequests)
	enough := candidate.Requests >= minReq && candidate.Requests > 0
	stableEnough := stable.Requests >= minReq && stable.Requests > 0
	for _, ch := range c.Checks {
		r := Result{Metric: ch.Metric, Threshold: ch.Max, Samples: candidate.Requests, Errors: candidate.Errors, Outcome: Inconclusive}
		val, known := value(ch.Metric, candidate)
		if !known {
			r.Outcome = Fail
			v.Reason = fmt.Sprintf("unknown metric %q", ch.Metric)
			v.Results = append(v.Results, r)
			continue
		}
		r.Value = val
		r.Stable, _ = value(ch.Metric, stable)
		measured := !sampled(ch.Metric)
		over := !ch.NoMax && r.Value > ch.Max
		r.Over = over
		switch {
		case measured && over && enough && r.Value > r.Stable:
			r.Outcome = Fail
		case enough:
			r.Outcome = Pass
		}
		if ch.VsStable > 0 && r.Outcome != Fail {
			r.StableBound = ch.VsStable * c.relativeFloor(ch.Metric, r.Stable, candidate)
			r.Over = r.Over || r.Value > r.StableBound
			switch {
			case !enough || !stableEnough:
				r.Outcome = Inconclusive
			case measured && r.Value > r.StableBound:
				r.Outcome = Fail
			}
		}
		if ch.VsStable <= 0 {
			r.Stable = 0
		}
		v.Results = append(v.Results, r)
	}
	var failed, waiting []string
	for _, r := range v.Results {
		switch r.Outcome {
		case Fail:
			limit := r.Threshold
			if r.StableBound > 0 && r.Value > r.StableBound {
				limit = r.StableBound
			}
			failed = append(failed, fmt.Sprintf("%s %s > %s", r.Metric, formatValue(r.Metric, r.Value), formatValue(r.Metric, limit)))
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
		if enough {
			v.Reason = fmt.Sprintf("%.0f of %d stable requests needed to compare", stable.Requests, c.MinRequests)
		}
	default:
		v.Reason = fmt.Sprintf("all %d checks hold on %.0f requests", len(v.Results), candidate.Requests)
	}
	return v
}

// value reads metric from a difference of two reads; known is false for an unknown metric.
func value(metric string, s Series) (v float64, known bool) {
	switch metric {
	case ErrorRate:
		if s.Requests > 0 {
			return s.Errors / s.Requests, true
		}
		return 0, true
	case LatencyP95:
		return s.Latency.Quantile(0.95), true
	case LatencyP99:
		return s.Latency.Quantile(0.99), true
	case CPU:
		if s.Window > 0 {
			return s.CPUSeconds / s.Window.Seconds(), true
		}
		return 0, true
	case Memory:
		return s.MemoryBytes, true
	case CriticalLogs:
		return s.LogErrors, true
	}
	return 0, false
}

// relativeFloor keeps a bound relative to stable from collapsing when stable saw
// little: an error rate is floored at one error among the candidate's requests, a
// count at one, a latency at LatencyFloor - so noise never breaks a relative bound.
func (c Criteria) relativeFloor(metric string, v float64, candidate Series) float64 {
	switch metric {
	case LatencyP95, LatencyP99:
		floor := c.LatencyFloor
		if floor <= 0 {
			floor = DefaultLatencyFloor.Seconds()
		}
		return math.Max(v, floor)
	case ErrorRate:
		if candidate.Requests > 0 {
			return math.Max(v, 1/candidate.Requests)
		}
	case CriticalLogs:
		return math.Max(v, 1)
	}
	return v
}

// formatValue renders a metric value for people: percent for rates, ms for latencies.
func formatValue(metric string, v float64) string {
	switch metric {
	case ErrorRate:
		return fmt.Sprintf("%.2f%%", v*100)
	case CPU:
		return fmt.Sprintf("%.2f cores", v)
	case Memory:
		return fmt.Sprintf("%.0fMiB", v/(1<<20))
	case CriticalLogs:
		return fmt.Sprintf("%.0f lines", v)
	}
	return fmt.Sprintf("%.0fms", v*1000)
}

// Sub returns the traffic between two cumulative reads of one version: to - from.
// A counter that went down means the data plane restarted; then to is all there is.
func Sub(to, from Series) Series {
	if to.Requests < from.Requests {
		return to
	}
	d := Series{Version: to.Version, At: to.At, Requests: to.Requests - from.Requests, Errors: math.Max(0, to.Errors-from.Errors),
		CPUSeconds: math.Max(0, to.CPUSeconds-from.CPUSeconds), MemoryBytes: to.MemoryBytes, LogErrors: math.Max(0, to.LogErrors-from.LogErrors)}
	if !from.At.IsZero() && to.At.After(from.At) {
		d.Window = to.At.Sub(from.At)
	}
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
