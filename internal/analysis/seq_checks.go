package analysis

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// This file judges the rollout's checks (error-rate, latency-p95/p99, critical-logs)
// with evidence, inside the same e-process as the relative streams, so that one alpha
// covers every check of the decision. See the Sequential doc comment.

// maxRoutes is how many routes the per-route stream follows, in the order they first
// carry traffic; each holds 1/maxRoutes of the stream's weight.
const maxRoutes = 16

// latencyMaterial is the smallest share of the candidate's requests that must be
// slower than a bound for the latency stream to count it as a regression: a few cold
// requests are not.
const latencyMaterial = 0.05

// Weights of the parts of the combined e-process before normalisation. The relative
// errors stream carries most: a new failure must be caught after as few failed
// requests as possible. A check's e-value never exceeds its relative test's (see
// checkEvidence), so the checks add a bound, not speed, and weigh little.
const (
	weightErrors    = 0.6
	weightLatency   = 0.15
	weightLogErrors = 0.05
	weightErrorSLO  = 0.1
	weightChecks    = 0.1
	weightRoutes    = 0.1
)

// StreamRoutes names the per-route stream in SeqResult.Streams.
const StreamRoutes = "routes"

// CheckState is the evidence about one Check, kept across the whole rollout.
type CheckState struct {
	// MaxLR is the Bernoulli test of "the candidate is over Max" (an error rate, or
	// the share of requests slower than MaxBound), MaxRelLR the conditional test of
	// "the candidate is worse than the stable" on the same events.
	MaxLR    []float64 `json:"max_lr,omitempty"`
	MaxRelLR []float64 `json:"max_rel_lr,omitempty"`
	// VsLR tests "over VsStable times the stable": a ratio test for error-rate and
	// critical-logs; for latencies the Bernoulli test of the share slower than
	// VsBound, with VsRelLR its conditional test against the stable.
	VsLR    []float64 `json:"vs_lr,omitempty"`
	VsRelLR []float64 `json:"vs_rel_lr,omitempty"`
	// MaxBound and VsBound are the latency bucket bounds tested, in seconds; zero
	// until chosen.
	MaxBound float64 `json:"max_bound,omitempty"`
	VsBound  float64 `json:"vs_bound,omitempty"`
	// MaxEvents and VsEvents count the events each part tested, candidate then
	// stable: errors, log lines, or requests slower than the bound.
	MaxEvents [2]float64 `json:"max_events"`
	VsEvents  [2]float64 `json:"vs_events"`
}

// sampled reports whether a check's metric is a count of requests or lines, judged
// with evidence; cpu and memory are measurements, judged by Judge.
func sampled(metric string) bool {
	switch metric {
	case ErrorRate, LatencyP95, LatencyP99, CriticalLogs:
		return true
	}
	return false
}

// latencyTail is the share of requests a quantile check allows above its bound.
func latencyTail(metric string) float64 {
	if metric == LatencyP99 {
		return 0.01
	}
	return 0.05
}

func latencyQuantile(metric string) float64 { return 1 - latencyTail(metric) }

func (q Sequential) hasErrorMax() bool {
	for _, ch := range q.Checks {
		if ch.Metric == ErrorRate && !ch.NoMax {
			return true
		}
	}
	return false
}

func share(c, s float64) float64 {
	if c+s <= 0 {
		return 0
	}
	return c / (c + s)
}

// observeChecks adds one interval to every check's evidence. prev is the state
// before the interval: the latency bound relative to the stable is chosen from the
// stable's earlier traffic only, so the choice is predictable.
func (q Sequential) observeChecks(next *SeqState, prev SeqState, c, s Series, warm bool) {
	if len(next.Checks) != len(q.Checks) {
		next.Checks = make([]CheckState, len(q.Checks))
	}
	reqShare := share(c.Requests, s.Requests)
	for i, ch := range q.Checks {
		cs := &next.Checks[i]
		switch ch.Metric {
		case ErrorRate:
			if !ch.NoMax {
				cs.MaxLR = sloUpdate(cs.MaxLR, math.Max(ch.Max, 1e-6), c.Errors, c.Requests)
				cs.MaxRelLR = relativeUpdate(cs.MaxRelLR, reqShare, c.Errors, c.Errors+s.Errors)
				cs.MaxEvents[0] += c.Errors
				cs.MaxEvents[1] += s.Errors
			}
			if ch.VsStable > 0 {
				cs.VsLR = relativeUpdateAt(cs.VsLR, ch.VsStable, reqShare, c.Errors, c.Errors+s.Errors)
				cs.VsEvents[0] += c.Errors
				cs.VsEvents[1] += s.Errors
			}
		case CriticalLogs:
			if !ch.NoMax {
				cs.MaxRelLR = relativeUpdate(cs.MaxRelLR, reqShare, c.LogErrors, c.LogErrors+s.LogErrors)
				cs.MaxEvents[0] += c.LogErrors
				cs.MaxEvents[1] += s.LogErrors
			}
			if ch.VsStable > 0 {
				cs.VsLR = relativeUpdateAt(cs.VsLR, ch.VsStable, reqShare, c.LogErrors, c.LogErrors+s.LogErrors)
				cs.VsEvents[0] += c.LogErrors
				cs.VsEvents[1] += s.LogErrors
			}
		case LatencyP95, LatencyP99:
			if warm {
				q.observeLatencyCheck(ch, cs, prev, c.Latency, s.Latency)
			}
		}
	}
}

func (q Sequential) observeLatencyCheck(ch Check, cs *CheckState, prev SeqState, c, s Histogram) {
	bounds := c.Bounds
	if len(bounds) == 0 {
		bounds = s.Bounds
	}
	if len(bounds) == 0 {
		return
	}
	above := func(h Histogram) []float64 {
		if len(h.Bounds) == 0 {
			return make([]float64, len(bounds))
		}
		return tailAbove(h)
	}
	ca, sa := above(c), above(s)
	lshare := share(c.Count, s.Count)
	tail := latencyTail(ch.Metric)
	test := func(bound float64, abs, rel *[]float64, events *[2]float64) {
		i := boundIndex(bounds, bound)
		if i < 0 {
			return
		}
		*abs = sloUpdate(*abs, tail, ca[i], c.Count)
		*rel = relativeUpdate(*rel, lshare, ca[i], ca[i]+sa[i])
		events[0] += ca[i]
		events[1] += sa[i]
	}
	if !ch.NoMax {
		if cs.MaxBound == 0 {
			if i := boundIndex(bounds, ch.Max); i >= 0 {
				cs.MaxBound = bounds[i]
			}
		}
		if cs.MaxBound > 0 {
			test(cs.MaxBound, &cs.MaxLR, &cs.MaxRelLR, &cs.MaxEvents)
		}
	}
	if ch.VsStable > 0 {
		if cs.VsBound == 0 && prev.Stable.Latency >= latencyMinStable && len(prev.LatencyBounds) > 0 {
			h := Histogram{Bounds: prev.LatencyBounds, Counts: make([]float64, len(prev.LatencyBounds)), Count: prev.Stable.Latency}
			for j := range h.Counts {
				h.Counts[j] = h.Count - prev.StableAbove[j]
			}
			b := ch.VsStable * math.Max(h.Quantile(latencyQuantile(ch.Metric)), q.latencyFloor())
			if i := boundIndex(bounds, b); i >= 0 {
				cs.VsBound = bounds[i]
			}
		}
		if cs.VsBound > 0 {
			test(cs.VsBound, &cs.VsLR, &cs.VsRelLR, &cs.VsEvents)
		}
	}
}

// checkEvidence is one check's stream. A part of a check fails only with evidence
// that the candidate is over its bound and worse than the stable: the e-value of a
// part is the smaller of the two tests' (an intersection-union test: under "no worse
// than stable" the smaller one is bounded by an e-process). A check with both an
// absolute and a relative bound averages its two parts.
func (q Sequential) checkEvidence(ch Check, cs CheckState, prior []float64) SeqStream {
	s := SeqStream{Name: ch.Metric + " check", Ratio: 1}
	var parts []float64
	type part struct {
		logE, alt, bound float64
		events           [2]float64
	}
	var best *part
	add := func(p part) {
		parts = append(parts, p.logE)
		if best == nil || p.logE > best.logE {
			best = &p
		}
	}
	rel := func(lr []float64, r0 float64) (float64, float64) {
		logE, k := mixture(prior, lr)
		return logE, r0 * seqRatios[k]
	}
	switch ch.Metric {
	case ErrorRate:
		if !ch.NoMax {
			a, rate := bernoulliEvidence(math.Max(ch.Max, 1e-6), cs.MaxLR)
			r, _ := rel(cs.MaxRelLR, 1)
			add(part{logE: math.Min(a, r), alt: rate, events: cs.MaxEvents})
		}
		if ch.VsStable > 0 {
			r, ratio := rel(cs.VsLR, ch.VsStable)
			add(part{logE: r, alt: ratio, events: cs.VsEvents})
		}
	case CriticalLogs:
		if !ch.NoMax {
			r, ratio := rel(cs.MaxRelLR, 1)
			if cs.MaxEvents[0] <= ch.Max {
				r = math.Inf(-1) // within the bound: this part cannot fail
			}
			add(part{logE: r, alt: ratio, events: cs.MaxEvents})
		}
		if ch.VsStable > 0 {
			r, ratio := rel(cs.VsLR, ch.VsStable)
			add(part{logE: r, alt: ratio, events: cs.VsEvents})
		}
	case LatencyP95, LatencyP99:
		tail := latencyTail(ch.Metric)
		if !ch.NoMax {
			a, rate := bernoulliEvidence(tail, cs.MaxLR)
			r, _ := rel(cs.MaxRelLR, 1)
			add(part{logE: math.Min(a, r), alt: rate, bound: cs.MaxBound, events: cs.MaxEvents})
		}
		if ch.VsStable > 0 {
			a, rate := bernoulliEvidence(tail, cs.VsLR)
			r, _ := rel(cs.VsRelLR, 1)
			add(part{logE: math.Min(a, r), alt: rate, bound: cs.VsBound, events: cs.VsEvents})
		}
	}
	if len(parts) == 0 {
		return s
	}
	sum, _ := logSumExp(parts)
	s.LogEValue = sum - math.Log(float64(len(parts)))
	s.Ratio, s.Bound, s.Candidate, s.Stable = best.alt, best.bound, best.events[0], best.events[1]
	return s
}

// observeRoutes adds one interval to the per-route stream: each followed route's
// errors are tested like the errors stream, on that route's traffic share.
func (next *SeqState) observeRoutes(c, s Series) {
	keys := make([]string, 0, len(c.Routes)+len(s.Routes))
	for k := range c.Routes {
		keys = append(keys, k)
	}
	for k := range s.Routes {
		if _, ok := c.Routes[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		if len(next.RouteSlots) < maxRoutes && !slices.Contains(next.RouteSlots, k) {
			next.RouteSlots = append(next.RouteSlots, k)
			next.RouteLR = append(next.RouteLR, nil)
			next.RouteErrors = append(next.RouteErrors, [2]float64{})
		}
	}
	for i, k := range next.RouteSlots {
		rc, rs := clampRoute(c.Routes[k]), clampRoute(s.Routes[k])
		next.RouteLR[i] = relativeUpdate(next.RouteLR[i], share(rc.Requests, rs.Requests), rc.Errors, rc.Errors+rs.Errors)
		next.RouteErrors[i][0] += rc.Errors
		next.RouteErrors[i][1] += rs.Errors
	}
}

// clampRoute keeps a route's interval counts sane: a counter reset or a Prometheus
// artefact must not become negative evidence.
func clampRoute(rc RouteCounts) RouteCounts {
	if !(rc.Requests > 0) || math.IsInf(rc.Requests, 0) {
		return RouteCounts{}
	}
	rc.Errors = math.Min(math.Max(rc.Errors, 0), rc.Requests)
	if math.IsNaN(rc.Errors) {
		rc.Errors = 0
	}
	return rc
}

// routesEvidence averages the followed routes' e-processes over maxRoutes slots;
// slots not yet taken hold e = 1.
func routesEvidence(prior []float64, st SeqState) SeqStream {
	s := SeqStream{Name: StreamRoutes, Ratio: 1}
	terms := []float64{math.Log(float64(maxRoutes-len(st.RouteSlots))) - math.Log(maxRoutes)}
	bestE, best := math.Inf(-1), -1
	for i := range st.RouteSlots {
		logE, _ := mixture(prior, st.RouteLR[i])
		terms = append(terms, logE-math.Log(maxRoutes))
		if logE > bestE {
			bestE, best = logE, i
		}
	}
	s.LogEValue, _ = logSumExp(terms)
	if best >= 0 {
		_, k := mixture(prior, st.RouteLR[best])
		s.Ratio, s.Route = seqRatios[k], st.RouteSlots[best]
		s.Candidate, s.Stable = st.RouteErrors[best][0], st.RouteErrors[best][1]
	}
	return s
}

// describeCheck says what a check's evidence is about, for a verdict's reason.
func describeCheck(ch Check, s SeqStream, st SeqState, ref string) string {
	var b strings.Builder
	switch ch.Metric {
	case ErrorRate:
		fmt.Fprintf(&b, "error-rate check: %.0f errors in %.0f candidate requests (%.2f%%) vs %.0f in %.0f on the %s (%.2f%%)",
			st.Candidate.Errors, st.Candidate.Requests, 100*st.Candidate.Rate(), st.Stable.Errors, st.Stable.Requests, ref, 100*st.Stable.Rate())
		if !ch.NoMax {
			fmt.Fprintf(&b, "; bound %s", formatValue(ErrorRate, ch.Max))
		}
		if ch.VsStable > 0 {
			fmt.Fprintf(&b, "; bound %gx the %s", ch.VsStable, ref)
		}
	case CriticalLogs:
		fmt.Fprintf(&b, "critical-logs check: %.0f lines on the candidate vs %.0f on the %s", s.Candidate, s.Stable, ref)
	case LatencyP95, LatencyP99:
		fmt.Fprintf(&b, "%s check: requests slower than %s, %.0f of %.0f on the candidate (allowed %.0f%%) vs %.0f of %.0f on the %s",
			ch.Metric, formatValue(ch.Metric, s.Bound), s.Candidate, st.Candidate.Latency, 100*latencyTail(ch.Metric), s.Stable, st.Stable.Latency, ref)
	}
	return b.String()
}
