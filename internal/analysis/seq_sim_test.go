package analysis

import (
	"math"
	"math/rand/v2"
	"sort"
)

// testBounds are the router's duration buckets.
var testBounds = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// version describes how one version behaves in a simulated interval.
type version struct {
	errRate float64
	median  float64 // seconds, log-normal latency
	sigma   float64
}

// traffic draws one interval of perTick requests split by weight between a candidate
// and a stable, request by request, and returns each version's counts as the router
// would report them (a difference of two reads).
func traffic(rng *rand.Rand, perTick int, weight float64, cand, stable version) (Series, Series) {
	c := Series{Version: "candidate", Latency: Histogram{Bounds: testBounds, Counts: make([]float64, len(testBounds))}}
	s := Series{Version: "stable", Latency: Histogram{Bounds: testBounds, Counts: make([]float64, len(testBounds))}}
	for range perTick {
		dst, v := &s, stable
		if rng.Float64() < weight {
			dst, v = &c, cand
		}
		dst.Requests++
		if rng.Float64() < v.errRate {
			dst.Errors++
		}
		lat := v.median * math.Exp(v.sigma*rng.NormFloat64())
		dst.Latency.Count++
		dst.Latency.Sum += lat
		// cumulative: every bucket whose bound is >= lat counts it.
		for i := sort.SearchFloat64s(testBounds, lat); i < len(testBounds); i++ {
			dst.Latency.Counts[i]++
		}
	}
	return c, s
}

// runJudge feeds ticks intervals to q and returns the observation at which it failed
// (0 if it never did) and the last result.
func runJudge(q Sequential, seed uint64, ticks, perTick int, weight float64, cand, stable version) (int, SeqResult) {
	rng := newRand(seed)
	var st SeqState
	var res SeqResult
	for i := 1; i <= ticks; i++ {
		c, s := traffic(rng, perTick, weight, cand, stable)
		var err error
		st, res, err = q.Observe(st, c, s)
		if err != nil {
			panic(err) // simulated traffic is always valid
		}
		if res.Outcome == Fail {
			return i, res
		}
	}
	return 0, res
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }
