package analysis

import (
	"math"
	"slices"
)

// This file holds the arithmetic of the sequential judge: the grids of alternatives,
// the prior over them, and the per-interval likelihood-ratio updates. Everything is in
// log space so that long rollouts neither overflow nor underflow.

// seqRatios are the rate ratios r = candidate rate / stable rate that the relative
// streams (errors, log errors, slow requests) test against r <= 1. Log-spaced from
// 1.1 to 1000: 1000 stands for "a failure the stable does not have at all".
var seqRatios = logSpace(1.1, 1000, 24)

// seqLogRatios are log(seqRatios).
var seqLogRatios = func() []float64 {
	out := make([]float64, len(seqRatios))
	for k, r := range seqRatios {
		out[k] = math.Log(r)
	}
	return out
}()

// seqSLOMultiples are the candidate error rates, as multiples of the SLO, that the
// absolute stream tests against rate <= SLO.
var seqSLOMultiples = []float64{1.25, 1.5, 2, 3, 5, 10, 20, 50}

// newFailureShare is the part of a relative stream's prior put on the largest ratio,
// a new failure mode that the stable does not have. See the Sequential doc comment.
const newFailureShare = 0.5

// latencyActiveTail is the largest share of the stable's requests above a bucket bound
// for that bound to be tested: slow requests are then rare enough for the conditional
// binomial test to be nearly exact and sensitive.
const latencyActiveTail = 0.25

// latencyMinStable is the stable observations needed before bounds are chosen.
const latencyMinStable = 50

func logSpace(lo, hi float64, n int) []float64 {
	out := make([]float64, n)
	step := math.Log(hi/lo) / float64(n-1)
	for i := range out {
		out[i] = lo * math.Exp(step*float64(i))
	}
	out[n-1] = hi
	return out
}

// ratioPrior returns the log-weights of seqRatios. Half the mass follows a uniform
// prior on the share p of the excess events that land on the candidate, p = r*s/(r*s+1-s)
// for the reference share s (the candidate's traffic share when evidence began); the
// other half sits on the largest ratio. Under the uniform-p prior, P(R <= r) = 1 -
// 1/(r*s+1-s) for r >= 1; each grid point takes the mass of its cell (cell edges at
// geometric midpoints, the last cell open to infinity).
func ratioPrior(refShare float64) []float64 {
	s := refShare
	if !(s > 0 && s < 1) {
		s = 0.5
	}
	cdf := func(r float64) float64 { return 1 - 1/(r*s+1-s) }
	n := len(seqRatios)
	w := make([]float64, n)
	lo := 0.0 // cdf(1)
	for k := range n {
		hi := 1.0
		if k < n-1 {
			hi = cdf(math.Sqrt(seqRatios[k] * seqRatios[k+1]))
		}
		w[k] = (1 - newFailureShare) * (hi - lo)
		lo = hi
	}
	w[n-1] += newFailureShare
	for k := range w {
		w[k] = math.Log(w[k])
	}
	return w
}

// relativeUpdate adds one interval to the log likelihood ratios of a relative stream.
// During the interval the candidate had share s of the traffic and xc of the x events
// (errors, slow requests) were the candidate's. Under rate ratio r, given x, xc is
// Binomial(x, r*s/(r*s+1-s)); against r = 1 the likelihood ratio is
// r^xc / (r*s+1-s)^x.
func relativeUpdate(logLR []float64, s, xc, x float64) []float64 {
	return relativeUpdateAt(logLR, 1, s, xc, x)
}

// relativeUpdateAt is relativeUpdate against the null "rate ratio <= r0" (r0 >= 1):
// the alternatives are r0*seqRatios[k], and the interval's likelihood ratio of
// r = r0*rho against r0 is rho^xc * ((r0*s+1-s)/(r*s+1-s))^x. For r0 = 1 it is
// relativeUpdate. The family has monotone likelihood ratio in the ratio, so its
// expectation is at most 1 for every true ratio <= r0.
func relativeUpdateAt(logLR []float64, r0, s, xc, x float64) []float64 {
	if x <= 0 || s <= 0 || s >= 1 {
		return slices.Clone(logLR) // no events, or one side without traffic: no information
	}
	if !(r0 >= 1) {
		r0 = 1
	}
	out := make([]float64, len(seqRatios))
	copy(out, logLR)
	base := math.Log1p(s * (r0 - 1))
	for k, rho := range seqRatios {
		out[k] += xc*seqLogRatios[k] - x*(math.Log1p(s*(r0*rho-1))-base)
	}
	return out
}

// boundIndex returns the index of the first bound >= b, or -1 when b is above every
// finite bound (then no bucket can tell how many requests were slower than b).
func boundIndex(bounds []float64, b float64) int {
	for i, x := range bounds {
		if x >= b*(1-1e-9) {
			return i
		}
	}
	return -1
}

// bernoulliEvidence mixes the likelihood ratios of sloUpdate with equal weights and
// returns the log e-value and the leading alternative rate.
func bernoulliEvidence(p0 float64, logLR []float64) (logE, rate float64) {
	rates := sloRates(p0)
	logW := make([]float64, len(rates))
	for j := range logW {
		logW[j] = -math.Log(float64(len(rates)))
	}
	logE, k := mixture(logW, logLR)
	return logE, rates[k]
}

// sloRates returns the error rates tested above the SLO p0, each below 1.
func sloRates(p0 float64) []float64 {
	var out []float64
	for _, m := range seqSLOMultiples {
		if p := p0 * m; p < 1 {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		out = append(out, (p0+1)/2)
	}
	return out
}

// sloUpdate adds an interval with e errors in n requests to the log likelihood ratios
// of Bernoulli(p_j) against Bernoulli(p0): e*log(p/p0) + (n-e)*log((1-p)/(1-p0)).
func sloUpdate(logLR []float64, p0, e, n float64) []float64 {
	rates := sloRates(p0)
	out := make([]float64, len(rates))
	copy(out, logLR)
	if n <= 0 {
		return out
	}
	for j, p := range rates {
		out[j] += e*math.Log(p/p0) + (n-e)*(math.Log1p(-p)-math.Log1p(-p0))
	}
	return out
}

// mixture returns log(sum_k exp(logW[k] + logLR[k])) and the index of the largest term.
// The weights exp(logW) sum to 1, so a stream without evidence yet (nil logLR) is at
// log e = 0.
func mixture(logW, logLR []float64) (float64, int) {
	if len(logLR) == 0 {
		best := 0
		for k := range logW {
			if logW[k] > logW[best] {
				best = k
			}
		}
		return 0, best
	}
	terms := make([]float64, len(logW))
	for k := range logW {
		terms[k] = logW[k]
		if k < len(logLR) {
			terms[k] += logLR[k]
		}
	}
	return logSumExp(terms)
}

// logSumExp returns log(sum(exp(v))) and the index of the largest element; -Inf for
// an empty slice.
func logSumExp(v []float64) (float64, int) {
	best := -1
	for i, x := range v {
		if best < 0 || x > v[best] {
			best = i
		}
	}
	if best < 0 || math.IsInf(v[best], -1) {
		return math.Inf(-1), best
	}
	sum := 0.0
	for _, x := range v {
		// terms below e^-60 of the largest cannot change a float64 sum of at most a
		// few hundred terms; skipping them saves the exponential.
		if d := x - v[best]; d > -60 {
			sum += math.Exp(d)
		}
	}
	return v[best] + math.Log(sum), best
}

// tailAbove returns, for a cumulative histogram, how many observations lie above each
// bound: count - counts[i].
func tailAbove(h Histogram) []float64 {
	out := make([]float64, len(h.Counts))
	for i, c := range h.Counts {
		out[i] = math.Max(0, h.Count-c)
	}
	return out
}
