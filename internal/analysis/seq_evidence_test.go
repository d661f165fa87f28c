package analysis

import (
	"math"
	"testing"
)

func TestRelativeUpdateClosedForm(t *testing.T) {
	last := len(seqRatios) - 1
	tests := []struct {
		name      string
		s, xc, x  float64
		k         int
		wantRatio float64 // the likelihood ratio, computed by hand
	}{
		// r = 1000, s = 0.05: one candidate error is worth 1000/(50+0.95).
		{"one candidate error at 5%", 0.05, 1, 1, last, 1000 / 50.95},
		{"two candidate errors at 5%", 0.05, 2, 2, last, (1000 / 50.95) * (1000 / 50.95)},
		// a stable error divides by r*s+1-s.
		{"one stable error at 5%", 0.05, 0, 1, last, 1 / 50.95},
		// r = 1.1, even split: 1.1^3 / 1.05^4.
		{"mixed at 50%", 0.5, 3, 4, 0, math.Pow(1.1, 3) / math.Pow(1.05, 4)},
		{"no events", 0.3, 0, 0, 5, 1},
		{"candidate without traffic", 0, 0, 4, 5, 1},
		{"stable without traffic", 1, 4, 4, 5, 1},
	}
	for _, tt := range tests {
		got := relativeUpdate(nil, tt.s, tt.xc, tt.x)
		lr := 1.0 // a stream without evidence stays nil
		if len(got) > 0 {
			lr = math.Exp(got[tt.k])
		}
		if tt.wantRatio != 1 && len(got) != len(seqRatios) {
			t.Fatalf("%s: %d ratios, want %d", tt.name, len(got), len(seqRatios))
		}
		if math.Abs(lr-tt.wantRatio) > 1e-9*tt.wantRatio {
			t.Errorf("%s: relativeUpdate(s=%v, xc=%v, x=%v)[r=%v] = LR %v, want %v", tt.name, tt.s, tt.xc, tt.x, seqRatios[tt.k], lr, tt.wantRatio)
		}
	}
}

// Under the null the likelihood ratio of one interval has expectation exactly 1 at
// r0 = 1 and below 1 when the candidate is better (r0 < 1): the supermartingale
// property everything rests on. Computed exactly over the binomial law.
func TestRelativeLikelihoodRatioExpectation(t *testing.T) {
	for _, s := range []float64{0.01, 0.05, 0.25, 0.5, 0.9} {
		for _, x := range []int{1, 3, 10, 40} {
			for _, r0 := range []float64{1, 0.8, 0.3} {
				p := r0 * s / (r0*s + 1 - s)
				for k, r := range seqRatios {
					mean := 0.0
					for xc := 0; xc <= x; xc++ {
						lr := math.Exp(relativeUpdate(make([]float64, len(seqRatios)), s, float64(xc), float64(x))[k])
						mean += binomPMF(x, xc, p) * lr
					}
					if r0 == 1 && math.Abs(mean-1) > 1e-9 {
						t.Errorf("s=%v x=%d r=%v: E[LR] under r0=1 is %v, want 1", s, x, r, mean)
					}
					if r0 < 1 && mean > 1+1e-12 {
						t.Errorf("s=%v x=%d r=%v: E[LR] under r0=%v is %v, want <= 1", s, x, r, r0, mean)
					}
				}
			}
		}
	}
}

func binomPMF(n, k int, p float64) float64 {
	lg := func(v int) float64 { l, _ := math.Lgamma(float64(v + 1)); return l }
	return math.Exp(lg(n) - lg(k) - lg(n-k) + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
}

func TestRatioPrior(t *testing.T) {
	for _, s := range []float64{0.01, 0.05, 0.5, 0.95, 0, 1} {
		w := ratioPrior(s)
		total := 0.0
		for _, lw := range w {
			total += math.Exp(lw)
		}
		if math.Abs(total-1) > 1e-12 {
			t.Errorf("ratioPrior(%v) sums to %v, want 1", s, total)
		}
		if last := math.Exp(w[len(w)-1]); last < newFailureShare {
			t.Errorf("ratioPrior(%v) puts %v on the largest ratio, want >= %v", s, last, newFailureShare)
		}
	}
	// Hand-computed first cell at s = 0.5: P(R <= sqrt(1.1*r1)) = 1 - 1/(0.5*m + 0.5).
	m := math.Sqrt(seqRatios[0] * seqRatios[1])
	want := (1 - newFailureShare) * (1 - 1/(0.5*m+0.5))
	if got := math.Exp(ratioPrior(0.5)[0]); math.Abs(got-want) > 1e-12 {
		t.Errorf("ratioPrior(0.5)[0] = %v, want %v", got, want)
	}
}

func TestSLOUpdate(t *testing.T) {
	// p0 = 1%, first alternative 1.25%: 3 errors in 100 requests.
	got := sloUpdate(nil, 0.01, 3, 100)
	want := 3*math.Log(1.25) + 97*math.Log(0.9875/0.99)
	if math.Abs(got[0]-want) > 1e-12 {
		t.Errorf("sloUpdate(1%%, 3/100)[0] = %v, want %v", got[0], want)
	}
	if rates := sloRates(0.3); len(rates) != 4 || rates[3] >= 1 {
		t.Errorf("sloRates(0.3) = %v, want the four multiples below 1", rates)
	}
	if rates := sloRates(0.9); len(rates) != 1 || rates[0] != 0.95 {
		t.Errorf("sloRates(0.9) = %v, want [0.95]", rates)
	}
}

func TestLogSumExp(t *testing.T) {
	tests := []struct {
		in       []float64
		want     float64
		wantBest int
	}{
		{[]float64{0, 0}, math.Log(2), 0},
		{[]float64{1000, 1000, -5}, 1000 + math.Log(2+math.Exp(-1005)), 0},
		{[]float64{-2000, -1000}, -1000 + math.Log1p(math.Exp(-1000)), 1},
		{[]float64{math.Inf(-1)}, math.Inf(-1), 0},
		{nil, math.Inf(-1), -1},
	}
	for _, tt := range tests {
		got, best := logSumExp(tt.in)
		if got != tt.want && math.Abs(got-tt.want) > 1e-9 || best != tt.wantBest {
			t.Errorf("logSumExp(%v) = %v, %d; want %v, %d", tt.in, got, best, tt.want, tt.wantBest)
		}
	}
}
