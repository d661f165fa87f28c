// Package market knows the listed symbols and prices them; this file holds the
// live spread model quotes are priced with.
package market

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// fitTime is how long fitting the live spread model takes for one symbol: the
// model replays the symbol's order book, 250-300ms of work.
func fitTime(s Symbol) time.Duration {
	return 250*time.Millisecond + time.Duration(fnvHash(s.Ticker)%50)*time.Millisecond
}

// fits counts the model fits done, for tests.
var fits atomic.Int64

// fit fits the live spread model for s and returns its bid/ask spread as a share
// of the price: wider for cheaper, less traded symbols. The order book replay is
// simulated: it takes as long as the real one and gives the same answer every time.
func fit(s Symbol) float64 {
	fits.Add(1)
	time.Sleep(fitTime(s))
	depth := math.Log10(s.Base + 10)
	return math.Round(0.002/depth*1e5) / 1e5
}

// spreads caches the fitted model per symbol: the fit depends on the symbol only,
// so it is done once, not on every quote.
var spreads struct {
	mu    sync.Mutex
	bySym map[string]*spreadEntry
}

type spreadEntry struct {
	once   sync.Once
	spread float64
}

// The model is fitted for every listed symbol when the service starts, in
// parallel, before it listens: no user waits for a fit, not even the first one.
func init() {
	var wg sync.WaitGroup
	for _, s := range Symbols() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			liveSpread(s)
		}()
	}
	wg.Wait()
}

// liveSpread is the spread of s from the live spread model, fitted once per symbol.
func liveSpread(s Symbol) float64 {
	spreads.mu.Lock()
	if spreads.bySym == nil {
		spreads.bySym = map[string]*spreadEntry{}
	}
	e, ok := spreads.bySym[s.Ticker]
	if !ok {
		e = &spreadEntry{}
		spreads.bySym[s.Ticker] = e
	}
	spreads.mu.Unlock()
	e.once.Do(func() { e.spread = fit(s) })
	return e.spread
}
