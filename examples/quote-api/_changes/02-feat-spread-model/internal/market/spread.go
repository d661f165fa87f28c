// Package market knows the listed symbols and prices them; this file holds the
// live spread model quotes are priced with.
package market

import (
	"math"
	"time"
)

// fitTime is how long fitting the live spread model takes for one symbol: the
// model replays the symbol's order book, 250-300ms of work.
func fitTime(s Symbol) time.Duration {
	return 250*time.Millisecond + time.Duration(fnvHash(s.Ticker)%50)*time.Millisecond
}

// fit fits the live spread model for s and returns its bid/ask spread as a share
// of the price: wider for cheaper, less traded symbols. The order book replay is
// simulated: it takes as long as the real one and gives the same answer every time.
func fit(s Symbol) float64 {
	time.Sleep(fitTime(s))
	depth := math.Log10(s.Base + 10)
	return math.Round(0.002/depth*1e5) / 1e5
}

// liveSpread is the spread of s from the live spread model.
func liveSpread(s Symbol) float64 {
	return fit(s)
}
