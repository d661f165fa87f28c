package analysis

import "testing"

func BenchmarkObserve(b *testing.B) {
	q := Sequential{MaxErrorRate: 0.01}
	rng := newRand(3)
	c, s := traffic(rng, 200, 0.05, healthy, healthy)
	var st SeqState
	for range 100 {
		st, _, _ = q.Observe(st, c, s)
	}
	b.ReportAllocs()
	for b.Loop() {
		_, _, _ = q.Observe(st, c, s)
	}
}
