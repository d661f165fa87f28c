package main

import (
	"math"
	"slices"
)

// summary describes a sample: its mean and nearest-rank quantiles.
type summary struct {
	n              int
	mean, p50, p95 float64
}

func summarize(xs []float64) summary {
	if len(xs) == 0 {
		return summary{mean: math.NaN(), p50: math.NaN(), p95: math.NaN()}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	total := 0.0
	for _, x := range s {
		total += x
	}
	return summary{n: len(s), mean: total / float64(len(s)), p50: quantile(s, 0.5), p95: quantile(s, 0.95)}
}

// quantile is the nearest-rank q-quantile of sorted values.
func quantile(sorted []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// tally is what one algorithm did over many runs of a scenario.
type tally struct {
	runs, rolledBack int
	at, failed       []float64 // at: only runs rolled back; failed: every run
}

func (t *tally) add(o outcome) {
	t.runs++
	t.failed = append(t.failed, o.failed)
	if o.rolledBack {
		t.rolledBack++
		t.at = append(t.at, o.at)
	}
}

func (t tally) rate() float64 {
	if t.runs == 0 {
		return 0
	}
	return float64(t.rolledBack) / float64(t.runs)
}
