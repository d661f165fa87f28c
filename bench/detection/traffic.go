package main

import (
	"math"
	"math/rand/v2"

	"github.com/slipway/slipway/internal/analysis"
)

// binWidth is the resolution, in seconds, at which simulated traffic is kept; ticks
// are multiples of it.
const binWidth = 0.1

// profile is how one version behaves: its error rate and its log-normal latency.
type profile struct {
	errRate float64
	median  float64 // seconds
	sigma   float64 // of log(latency)
}

// mix is the traffic both versions share.
type mix struct {
	rate   float64 // requests per second, both versions
	weight float64 // candidate's share, 0..1
}

// bin counts one version's responses in one binWidth slice of time. buckets are
// per-bucket (not cumulative) counts over the router's bounds plus +Inf.
type bin struct {
	requests, errors float64
	buckets          []float64
}

// recording is one run's traffic: per-bin counts for each version.
type recording struct {
	bounds            []float64
	candidate, stable []bin
}

func newRecording(bounds []float64, horizon float64) *recording {
	n := int(math.Ceil(horizon/binWidth - 1e-9))
	r := &recording{bounds: bounds, candidate: make([]bin, n), stable: make([]bin, n)}
	for i := range n {
		r.candidate[i].buckets = make([]float64, len(bounds)+1)
		r.stable[i].buckets = make([]float64, len(bounds)+1)
	}
	return r
}

// reset clears the counts for reuse.
func (r *recording) reset() {
	for _, bins := range [][]bin{r.candidate, r.stable} {
		for i := range bins {
			bins[i].requests, bins[i].errors = 0, 0
			clear(bins[i].buckets)
		}
	}
}

// simulate fills r with one run of event-level traffic: Poisson arrivals at m.rate,
// each request routed to the candidate with probability m.weight, failing with the
// version's error rate, and taking a log-normal time bucketed as the router does
// (a request of exactly a bound's duration counts in that bound's bucket).
func (r *recording) simulate(rng *rand.Rand, m mix, cand, stable profile) {
	r.reset()
	// latency = median*exp(sigma*z) is <= bound exactly when z <= log(bound/median)/sigma,
	// so buckets are found on z without an exponential per request.
	zc, zs := r.zBounds(cand), r.zBounds(stable)
	horizon := float64(len(r.candidate)) * binWidth
	for t := rng.ExpFloat64() / m.rate; t < horizon; t += rng.ExpFloat64() / m.rate {
		bins, p, zb := r.stable, stable, zs
		if rng.Float64() < m.weight {
			bins, p, zb = r.candidate, cand, zc
		}
		b := &bins[int(t/binWidth)]
		b.requests++
		if p.errRate > 0 && rng.Float64() < p.errRate {
			b.errors++
		}
		b.buckets[searchFloat(zb, rng.NormFloat64())]++
	}
}

func (r *recording) zBounds(p profile) []float64 {
	z := make([]float64, len(r.bounds))
	for i, b := range r.bounds {
		z[i] = math.Log(b/p.median) / p.sigma
	}
	return z
}

// searchFloat returns the first index i with a[i] >= x (len(a) if none), as
// sort.SearchFloat64s does, without the closure.
func searchFloat(a []float64, x float64) int {
	lo, hi := 0, len(a)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if a[mid] < x {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}

// window sums bins [from, to) of one version into the Series a router read would
// give as the difference of two scrapes.
func (r *recording) window(bins []bin, from, to int) analysis.Series {
	s := analysis.Series{Latency: analysis.Histogram{Bounds: r.bounds, Counts: make([]float64, len(r.bounds))}}
	per := make([]float64, len(r.bounds)+1)
	for i := max(from, 0); i < to && i < len(bins); i++ {
		s.Requests += bins[i].requests
		s.Errors += bins[i].errors
		for j, c := range bins[i].buckets {
			per[j] += c
		}
	}
	cum := 0.0
	for j := range r.bounds {
		cum += per[j]
		s.Latency.Counts[j] = cum
	}
	s.Latency.Count = cum + per[len(r.bounds)]
	return s
}

// errorsUntil counts the candidate's failed requests in bins [0, to): the users hurt
// before a rollback that takes effect at bin to.
func (r *recording) errorsUntil(to int) float64 {
	n := 0.0
	for i := 0; i < to && i < len(r.candidate); i++ {
		n += r.candidate[i].errors
	}
	return n
}
