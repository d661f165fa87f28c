package main

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/rollout"
)

// profile is how one version behaves: its error rate and its log-normal latency,
// optionally with a share of requests slowed by a fixed amount.
type profile struct {
	errRate float64
	median  float64 // seconds
	sigma   float64 // of log(latency)
	// slowShare of requests take slowBy seconds more.
	slowShare, slowBy float64
}

// world is one scenario's traffic, drawn one analysis interval (tick) at a time.
type world struct {
	rate   float64 // requests per second, both versions
	cand   profile
	stable profile
	// coldFor seconds after it starts, the candidate's latency is multiplied by
	// coldFactor (decaying linearly to 1): a new process warming up.
	coldFor, coldFactor float64
	// outages shared by both versions: each second one starts with probability
	// outageEvery^-1 and lasts outageLen seconds, failing outageRate of requests.
	outageEvery, outageLen, outageRate float64
	// routes splits traffic evenly over this many routes; badRoute (1-based, 0 for
	// none) fails badRouteRate of the candidate's requests on that route.
	routes       int
	badRoute     int
	badRouteRate float64
}

// runTraffic is one run of a world: its outages, drawn once, and a PRNG.
type runTraffic struct {
	w       *world
	rng     *rand.Rand
	bounds  []float64
	outages []bool // per second: a shared outage is on
}

func (w *world) newRun(rng *rand.Rand, bounds []float64, horizon int) *runTraffic {
	r := &runTraffic{w: w, rng: rng, bounds: bounds}
	if w.outageEvery > 0 {
		r.outages = make([]bool, horizon)
		for t := 0; t < horizon; t++ {
			if rng.Float64() < 1/w.outageEvery {
				for k := t; k < t+int(w.outageLen) && k < horizon; k++ {
					r.outages[k] = true
				}
			}
		}
	}
	return r
}

// tick draws second t of traffic at candidate weight (0..1): both versions' counts
// as the difference of two router reads.
func (r *runTraffic) tick(t int, weight float64) (cand, stable analysis.Series) {
	rd := r.reads(t, 1-weight, 0, weight)
	return rd.Candidate, rd.Stable
}

// reads draws second t of traffic split as a rollout splits it (shares 0..1): the
// candidate, a baseline and the stable. The baseline runs the stable's code but
// started with the candidate, so a cold start slows both alike.
func (r *runTraffic) reads(t int, stable, baseline, cand float64) rollout.Reads {
	w := r.w
	extra := 0.0
	if t < len(r.outages) && r.outages[t] {
		extra = w.outageRate
	}
	cp, bp := w.cand, w.stable
	if w.coldFor > 0 && float64(t) < w.coldFor {
		f := 1 + (w.coldFactor-1)*(1-float64(t)/w.coldFor)
		cp.median *= f
		bp.median *= f
	}
	var rd rollout.Reads
	rd.Candidate = r.version(cp, poisson(r.rng, w.rate*cand), extra, true)
	rd.Stable = r.version(w.stable, poisson(r.rng, w.rate*stable), extra, false)
	if baseline > 0 {
		rd.Baseline = r.version(bp, poisson(r.rng, w.rate*baseline), extra, false)
	}
	return rd
}

func (r *runTraffic) version(p profile, n float64, extra float64, isCand bool) analysis.Series {
	rate := 1 - (1-p.errRate)*(1-extra)
	s := analysis.Series{Requests: n, Latency: analysis.Histogram{Bounds: r.bounds, Counts: make([]float64, len(r.bounds)), Count: n}}
	if r.w.routes > 0 {
		s.Routes = map[string]analysis.RouteCounts{}
		left := n
		for k := 1; k <= r.w.routes; k++ {
			nk := left
			if k < r.w.routes {
				nk = binomial(r.rng, left, 1/float64(r.w.routes-k+1))
			}
			left -= nk
			rk := rate
			if isCand && k == r.w.badRoute {
				rk = 1 - (1-rate)*(1-r.w.badRouteRate)
			}
			ek := binomial(r.rng, nk, rk)
			s.Routes[fmt.Sprintf("/v1/r%d", k)] = analysis.RouteCounts{Requests: nk, Errors: ek}
			s.Errors += ek
		}
	} else {
		s.Errors = binomial(r.rng, n, rate)
	}
	// latency buckets: sequential conditional binomials over the bucket probabilities.
	left, cum, below := n, 0.0, 0.0
	for i, b := range r.bounds {
		pb := latencyCDF(p, b)
		if left > 0 && pb > below {
			k := binomial(r.rng, left, math.Min(1, (pb-below)/(1-below)))
			left -= k
			cum += k
		}
		below = pb
		s.Latency.Counts[i] = cum
	}
	return s
}

// latencyCDF is P(latency <= b) for a profile.
func latencyCDF(p profile, b float64) float64 {
	logNormal := func(x float64) float64 {
		if x <= 0 {
			return 0
		}
		return 0.5 * math.Erfc(-math.Log(x/p.median)/(p.sigma*math.Sqrt2))
	}
	return (1-p.slowShare)*logNormal(b) + p.slowShare*logNormal(b-p.slowBy)
}

// poisson draws a Poisson(mean) count: by inversion below 30, a rounded normal above.
func poisson(rng *rand.Rand, mean float64) float64 {
	if mean <= 0 {
		return 0
	}
	if mean >= 30 {
		return math.Max(0, math.Round(mean+math.Sqrt(mean)*rng.NormFloat64()))
	}
	k, p := 0.0, math.Exp(-mean)
	cdf, u := p, rng.Float64()
	for u > cdf && k < 1000 {
		k++
		p *= mean / k
		cdf += p
	}
	return k
}

// binomial draws Binomial(n, p): exactly (geometric gaps between successes) when
// few successes are expected, a rounded normal otherwise.
func binomial(rng *rand.Rand, n, p float64) float64 {
	switch {
	case n <= 0 || p <= 0:
		return 0
	case p >= 1:
		return n
	case p > 0.5:
		return n - binomial(rng, n, 1-p)
	}
	if n*p > 40 {
		v := math.Round(n*p + math.Sqrt(n*p*(1-p))*rng.NormFloat64())
		return math.Min(n, math.Max(0, v))
	}
	lq := math.Log1p(-p)
	k, i := 0.0, 0.0
	for {
		i += math.Floor(math.Log(1-rng.Float64())/lq) + 1
		if i > n {
			return k
		}
		k++
	}
}
