package slo

import (
	"fmt"
	"slices"
	"time"

	"github.com/slipway/slipway/internal/router"
)

// Counts are the requests one version served over a span of time.
type Counts struct {
	Requests float64 `json:"requests"`
	// Errors are server errors (status 500 and above).
	Errors float64 `json:"errors"`
	// Within[i] counts the requests answered within the router's i-th histogram
	// bound (router.DurationBuckets).
	Within []float64 `json:"within,omitempty"`
}

// Add returns c plus d.
func (c Counts) Add(d Counts) Counts {
	out := Counts{Requests: c.Requests + d.Requests, Errors: c.Errors + d.Errors}
	n := max(len(c.Within), len(d.Within))
	if n > 0 {
		out.Within = make([]float64, n)
		for i := range n {
			if i < len(c.Within) {
				out.Within[i] += c.Within[i]
			}
			if i < len(d.Within) {
				out.Within[i] += d.Within[i]
			}
		}
	}
	return out
}

// Bad counts the requests that miss o: server errors for availability, requests
// slower than the threshold for latency.
func (c Counts) Bad(o Objective) float64 {
	if o.Latency <= 0 {
		return c.Errors
	}
	i := boundIndex(o.Latency)
	if i < 0 || i >= len(c.Within) {
		return c.Requests // no request is known to have been fast enough
	}
	return max(c.Requests-c.Within[i], 0)
}

// boundIndex is the index of the largest router bound not above d, -1 if none.
func boundIndex(d time.Duration) int {
	bounds := router.DurationBuckets()
	i, found := slices.BinarySearch(bounds, d.Seconds())
	if found {
		return i
	}
	return i - 1
}

// Window is how much budget one window burnt.
type Window struct {
	// Name is the span as rules write it: 5m, 1h, 3d.
	Name     string        `json:"window"`
	Span     time.Duration `json:"-"`
	Requests float64       `json:"requests"`
	Bad      float64       `json:"bad"`
	// Burn is the bad ratio over the budget; 0 without requests.
	Burn float64 `json:"burn"`
}

// TierState is one tier's alert at one moment.
type TierState struct {
	Tier     string   `json:"tier"`
	Severity Severity `json:"severity"`
	// Rate is the burn rate both windows must reach.
	Rate   float64 `json:"rate"`
	Long   Window  `json:"long"`
	Short  Window  `json:"short"`
	Firing bool    `json:"firing"`
	// Why says what decided: the burns against the rate, or the traffic guard.
	Why string `json:"why"`
}

// SumFunc returns the counts of the span of time ending now.
type SumFunc func(span time.Duration) Counts

// Assess evaluates every tier of o over the counts sum returns. It is a pure
// function of those counts: a tier fires when both its windows hold at least
// o.MinRequests requests and burn at least its rate.
func Assess(o Objective, sum SumFunc) []TierState {
	cache := map[time.Duration]Window{}
	window := func(span time.Duration) Window {
		if w, ok := cache[span]; ok {
			return w
		}
		c := sum(span)
		w := Window{Name: spanName(span), Span: span, Requests: c.Requests, Bad: c.Bad(o)}
		if w.Requests > 0 && o.Budget() > 0 {
			w.Burn = w.Bad / w.Requests / o.Budget()
		}
		cache[span] = w
		return w
	}
	out := make([]TierState, 0, len(Tiers))
	for _, t := range Tiers {
		st := TierState{Tier: t.Name, Severity: t.Severity, Rate: t.Rate(o.Period), Long: window(t.Long), Short: window(t.Short)}
		min := float64(o.MinRequests)
		switch {
		case st.Long.Requests < min || st.Short.Requests < min:
			st.Why = fmt.Sprintf("too little traffic to judge: %.0f requests in %s and %.0f in %s, %d needed in each",
				st.Long.Requests, spanName(t.Long), st.Short.Requests, spanName(t.Short), o.MinRequests)
		case st.Long.Burn >= st.Rate && st.Short.Burn >= st.Rate:
			st.Firing = true
			st.Why = fmt.Sprintf("burning %.1fx over %s and %.1fx over %s, at or above %.3gx", st.Long.Burn, spanName(t.Long), st.Short.Burn, spanName(t.Short), st.Rate)
		default:
			st.Why = fmt.Sprintf("burning %.1fx over %s and %.1fx over %s, below %.3gx in at least one", st.Long.Burn, spanName(t.Long), st.Short.Burn, spanName(t.Short), st.Rate)
		}
		out = append(out, st)
	}
	return out
}

// span writes a window the way rules name it: 5m, 1h, 3d.
func spanName(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
