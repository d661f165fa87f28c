package analysis

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Observe adds one interval of traffic to the evidence and judges it. candidate and
// stable are the versions' traffic during the interval (a difference of two reads,
// see Sub), taken over the same interval. Observe is a pure function: it returns the
// next state and leaves st untouched. Bad input (negative or non-finite counts, more
// errors than requests, histograms that disagree) is an error, and then the returned
// state is st unchanged.
//
// Counts are used as they come: the router's are integers; a Prometheus increase()
// may be fractional, which the formulas accept.
func (q Sequential) Observe(st SeqState, candidate, stable Series) (SeqState, SeqResult, error) {
	if err := q.Validate(); err != nil {
		return st, SeqResult{}, fmt.Errorf("sequential judge: %w", err)
	}
	if err := checkInterval(candidate); err != nil {
		return st, SeqResult{}, fmt.Errorf("observe candidate %s: %w", candidate.Version, err)
	}
	if err := checkInterval(stable); err != nil {
		return st, SeqResult{}, fmt.Errorf("observe stable %s: %w", stable.Version, err)
	}
	next := st.clone()
	warm := st.CandidateTime >= q.latencyWarmup()
	if err := next.addLatency(candidate.Latency, stable.Latency, q.latencyFloor(), warm); err != nil {
		return st, SeqResult{}, err
	}
	if candidate.Requests > 0 {
		w := candidate.Window
		if w <= 0 {
			w = time.Second
		}
		next.CandidateTime += w
	}
	q.observeChecks(&next, st, candidate, stable, warm)
	next.observeRoutes(candidate, stable)
	next.Observations++
	nc, ns := candidate.Requests, stable.Requests
	share := 0.0
	if nc+ns > 0 {
		share = nc / (nc + ns)
	}
	if next.RefShare == 0 && nc > 0 && ns > 0 {
		next.RefShare = share
	}
	next.ErrorsLR = relativeUpdate(next.ErrorsLR, share, candidate.Errors, candidate.Errors+stable.Errors)
	next.LogErrorsLR = relativeUpdate(next.LogErrorsLR, share, candidate.LogErrors, candidate.LogErrors+stable.LogErrors)
	if q.MaxErrorRate > 0 {
		next.SLOLR = sloUpdate(next.SLOLR, q.MaxErrorRate, candidate.Errors, nc)
	}
	next.Candidate.add(candidate)
	next.Stable.add(stable)
	next.StepRequests += nc

	res := q.result(next)
	if !next.Failed && res.LogEValue >= math.Log(res.Threshold) {
		next.Failed, next.FailedAt = true, next.Observations
	}
	next.MaxLogE = math.Max(next.MaxLogE, res.LogEValue)
	res.Outcome, res.Reason = q.outcome(next, res)
	return next, res, nil
}

// checkInterval rejects what no interval of real traffic can be.
func checkInterval(s Series) error {
	vals := []struct {
		name string
		v    float64
	}{{"requests", s.Requests}, {"errors", s.Errors}, {"log errors", s.LogErrors},
		{"latency count", s.Latency.Count}}
	for _, c := range vals {
		if math.IsNaN(c.v) || math.IsInf(c.v, 0) || c.v < 0 {
			return fmt.Errorf("%s %v: want a finite count >= 0 for one interval", c.name, c.v)
		}
	}
	if s.Errors > s.Requests {
		return fmt.Errorf("%v errors in %v requests: errors are a subset of requests", s.Errors, s.Requests)
	}
	h := s.Latency
	if len(h.Counts) != len(h.Bounds) {
		return fmt.Errorf("latency histogram has %d bounds and %d counts", len(h.Bounds), len(h.Counts))
	}
	for i, c := range h.Counts {
		if math.IsNaN(c) || c < 0 || c > h.Count || (i > 0 && c < h.Counts[i-1]) {
			return fmt.Errorf("latency bucket %d count %v: want cumulative counts between 0 and %v", i, c, h.Count)
		}
	}
	return nil
}

func (t *SeqTotals) add(s Series) {
	t.Requests += s.Requests
	t.Errors += s.Errors
	t.LogErrors += s.LogErrors
	t.Latency += s.Latency.Count
}

// clone deep-copies the slices so that updates never reach the caller's state.
func (st SeqState) clone() SeqState {
	st.ErrorsLR = slices.Clone(st.ErrorsLR)
	st.LogErrorsLR = slices.Clone(st.LogErrorsLR)
	st.SLOLR = slices.Clone(st.SLOLR)
	st.LatencyBounds = slices.Clone(st.LatencyBounds)
	st.StableAbove = slices.Clone(st.StableAbove)
	st.CandidateAbove = slices.Clone(st.CandidateAbove)
	st.LatencyLR = cloneRows(st.LatencyLR)
	st.LatencyAbsLR = cloneRows(st.LatencyAbsLR)
	st.RouteLR = cloneRows(st.RouteLR)
	st.RouteSlots = slices.Clone(st.RouteSlots)
	st.RouteErrors = slices.Clone(st.RouteErrors)
	if st.Checks != nil {
		cs := make([]CheckState, len(st.Checks))
		for i, c := range st.Checks {
			c.MaxLR, c.MaxRelLR = slices.Clone(c.MaxLR), slices.Clone(c.MaxRelLR)
			c.VsLR, c.VsRelLR = slices.Clone(c.VsLR), slices.Clone(c.VsRelLR)
			cs[i] = c
		}
		st.Checks = cs
	}
	return st
}

func cloneRows(rows [][]float64) [][]float64 {
	if rows == nil {
		return nil
	}
	out := make([][]float64, len(rows))
	for i := range rows {
		out[i] = slices.Clone(rows[i])
	}
	return out
}

// addLatency updates the latency stream. A bound is tested only when the stable's
// earlier traffic (before this interval) puts at most latencyActiveTail of its
// requests above it; the choice never looks at the interval being tested.
func (st *SeqState) addLatency(c, s Histogram, floor float64, warm bool) error {
	if len(c.Bounds) == 0 && len(s.Bounds) == 0 {
		return nil
	}
	if len(c.Bounds) > 0 && len(s.Bounds) > 0 && !slices.Equal(c.Bounds, s.Bounds) {
		return fmt.Errorf("observe latency: candidate and stable histograms have different bounds")
	}
	bounds := c.Bounds
	if len(bounds) == 0 {
		bounds = s.Bounds
	}
	if len(st.LatencyBounds) == 0 {
		st.LatencyBounds = slices.Clone(bounds)
		st.StableAbove = make([]float64, len(bounds))
		st.CandidateAbove = make([]float64, len(bounds))
		st.LatencyLR = make([][]float64, len(bounds))
		st.LatencyAbsLR = make([][]float64, len(bounds))
	} else if !slices.Equal(st.LatencyBounds, bounds) {
		return fmt.Errorf("observe latency: histogram bounds changed from %v to %v", st.LatencyBounds, bounds)
	}
	if len(c.Bounds) == 0 || len(s.Bounds) == 0 {
		if len(s.Bounds) > 0 {
			addAbove(st.StableAbove, tailAbove(s))
		} else {
			addAbove(st.CandidateAbove, tailAbove(c))
		}
		return nil
	}
	ca, sa := tailAbove(c), tailAbove(s)
	share := 0.0
	if c.Count+s.Count > 0 {
		share = c.Count / (c.Count + s.Count)
	}
	for i := range bounds {
		if !warm || bounds[i] < floor || st.Stable.Latency < latencyMinStable || st.StableAbove[i] > latencyActiveTail*st.Stable.Latency {
			continue
		}
		st.LatencyLR[i] = relativeUpdate(st.LatencyLR[i], share, ca[i], ca[i]+sa[i])
		if len(st.LatencyAbsLR) != len(bounds) {
			st.LatencyAbsLR = make([][]float64, len(bounds)) // a state saved before this test existed
		}
		st.LatencyAbsLR[i] = sloUpdate(st.LatencyAbsLR[i], latencyMaterial, ca[i], c.Count)
	}
	addAbove(st.StableAbove, sa)
	addAbove(st.CandidateAbove, ca)
	return nil
}

func addAbove(dst, src []float64) {
	for i := range dst {
		dst[i] += src[i]
	}
}

// result computes the combined evidence of a state.
func (q Sequential) result(st SeqState) SeqResult {
	alpha := q.alpha()
	res := SeqResult{Alpha: alpha, Threshold: 1 / alpha, Candidate: st.Candidate, Stable: st.Stable,
		StepRequests: st.StepRequests, MinRequests: q.minRequests(), Observations: st.Observations}
	weights, checkWeights := q.streamWeights()
	prior := ratioPrior(st.RefShare)
	var terms []float64
	for _, name := range streamOrder {
		w, ok := weights[name]
		if !ok {
			continue
		}
		s := SeqStream{Name: name, Weight: w}
		switch name {
		case StreamErrors:
			s.LogEValue, s.Ratio = relativeEvidence(prior, st.ErrorsLR)
			s.Candidate, s.Stable = st.Candidate.Errors, st.Stable.Errors
		case StreamLogErrors:
			s.LogEValue, s.Ratio = relativeEvidence(prior, st.LogErrorsLR)
			s.Candidate, s.Stable = st.Candidate.LogErrors, st.Stable.LogErrors
		case StreamErrorSLO:
			// over the SLO and worse than the stable: see checkEvidence.
			s.LogEValue, s.Ratio = bernoulliEvidence(q.MaxErrorRate, st.SLOLR)
			rel, _ := relativeEvidence(prior, st.ErrorsLR)
			s.LogEValue = math.Min(s.LogEValue, rel)
			s.Candidate, s.Stable = st.Candidate.Errors, st.Candidate.Requests
		case StreamRoutes:
			s = routesEvidence(prior, st)
			s.Weight = w
		case StreamLatency:
			s.LogEValue, s.Ratio, s.Bound = latencyEvidence(prior, st)
			for i, b := range st.LatencyBounds {
				if b == s.Bound {
					s.Candidate, s.Stable = st.CandidateAbove[i], st.StableAbove[i]
				}
			}
		}
		s.EValue = capExp(s.LogEValue)
		res.Streams = append(res.Streams, s)
		terms = append(terms, math.Log(w)+s.LogEValue)
	}
	for i, ch := range q.Checks {
		if checkWeights[i] <= 0 {
			continue
		}
		var cs CheckState
		if i < len(st.Checks) {
			cs = st.Checks[i]
		}
		s := q.checkEvidence(ch, cs, prior)
		s.Weight = checkWeights[i]
		s.EValue = capExp(s.LogEValue)
		res.Streams = append(res.Streams, s)
		terms = append(terms, math.Log(s.Weight)+s.LogEValue)
	}
	var lead int
	res.LogEValue, lead = logSumExp(terms)
	res.EValue = capExp(res.LogEValue)
	res.Leading = res.Streams[lead].Name
	return res
}

func relativeEvidence(prior, logLR []float64) (logE, ratio float64) {
	logE, k := mixture(prior, logLR)
	return logE, seqRatios[k]
}

// latencyEvidence mixes the per-bound tests with equal weights.
func latencyEvidence(prior []float64, st SeqState) (logE, ratio, bound float64) {
	if len(st.LatencyBounds) == 0 {
		return 0, 1, 0
	}
	per := make([]float64, len(st.LatencyBounds))
	for i := range per {
		per[i], _ = mixture(prior, st.LatencyLR[i])
		if i < len(st.LatencyAbsLR) {
			// slower than the stable, and for a material share of requests
			abs, _ := bernoulliEvidence(latencyMaterial, st.LatencyAbsLR[i])
			per[i] = math.Min(per[i], abs)
		}
		per[i] -= math.Log(float64(len(per)))
	}
	logE, b := logSumExp(per)
	_, k := mixture(prior, st.LatencyLR[b])
	return logE, seqRatios[k], st.LatencyBounds[b]
}

// outcome turns the evidence into Pass, Fail or Inconclusive with a reason.
func (q Sequential) outcome(st SeqState, res SeqResult) (Outcome, string) {
	if st.Failed {
		var lead SeqStream
		for _, s := range res.Streams {
			if s.Name == res.Leading {
				lead = s
			}
		}
		return Fail, fmt.Sprintf("candidate worse than %s: e-value %s >= %s (alpha %g) after %d observations; %s",
			q.against(lead.Name), fmtE(res.EValue), fmtE(res.Threshold), res.Alpha, st.Observations, q.describe(lead, st))
	}
	if st.Stable.Requests <= 0 {
		// Without a baseline the relative tests saw nothing: never pass on that.
		return Inconclusive, fmt.Sprintf("no stable traffic to compare %.0f candidate requests with", st.Candidate.Requests)
	}
	if st.StepRequests < res.MinRequests {
		return Inconclusive, fmt.Sprintf("%.0f of %.0f candidate requests in this step; e-value %s < %s",
			st.StepRequests, res.MinRequests, fmtE(res.EValue), fmtE(res.Threshold))
	}
	return Pass, fmt.Sprintf("no regression: e-value %s < %s on %.0f candidate and %.0f stable requests",
		fmtE(res.EValue), fmtE(res.Threshold), st.Candidate.Requests, st.Stable.Requests)
}

func (q Sequential) describe(s SeqStream, st SeqState) string {
	var b strings.Builder
	for _, ch := range q.Checks {
		if s.Name == ch.Metric+" check" {
			return describeCheck(ch, s, st, q.against(s.Name))
		}
	}
	ref := q.against(s.Name)
	switch s.Name {
	case StreamRoutes:
		fmt.Fprintf(&b, "route %s: %.0f errors on the candidate vs %.0f on the %s", s.Route, s.Candidate, s.Stable, ref)
	case StreamErrors:
		fmt.Fprintf(&b, "errors %.0f/%.0f (%.2f%%) on the candidate vs %.0f/%.0f (%.2f%%) on the %s",
			st.Candidate.Errors, st.Candidate.Requests, 100*st.Candidate.Rate(), st.Stable.Errors, st.Stable.Requests, 100*st.Stable.Rate(), ref)
	case StreamLogErrors:
		fmt.Fprintf(&b, "error log lines %.0f on the candidate vs %.0f on the %s", st.Candidate.LogErrors, st.Stable.LogErrors, ref)
	case StreamLatency:
		fmt.Fprintf(&b, "latency: requests slower than %s, %.0f of %.0f on the candidate vs %.0f of %.0f on the %s",
			formatValue(LatencyP95, s.Bound), s.Candidate, st.Candidate.Latency, s.Stable, st.Stable.Latency, ref)
	case StreamErrorSLO:
		fmt.Fprintf(&b, "candidate error rate %.2f%% over the SLO (%.0f/%.0f)", 100*st.Candidate.Rate(), st.Candidate.Errors, st.Candidate.Requests)
	}
	if s.Name == StreamErrorSLO {
		fmt.Fprintf(&b, ", leading alternative rate %.3g", s.Ratio)
	} else {
		fmt.Fprintf(&b, ", leading alternative ratio %.3g", s.Ratio)
	}
	return b.String()
}

func fmtE(v float64) string {
	if v >= 1e6 || (v > 0 && v < 1e-3) {
		return fmt.Sprintf("%.3g", v)
	}
	return fmt.Sprintf("%.4g", v)
}
