package market

import (
	"hash/fnv"
	"math"
	"time"
)

// Quote is a price for one symbol at one moment.
type Quote struct {
	Symbol   string    `json:"symbol"`
	Price    float64   `json:"price"`
	Bid      float64   `json:"bid"`
	Ask      float64   `json:"ask"`
	Currency string    `json:"currency"`
	Time     time.Time `json:"time"`
}

// spread is the bid/ask spread as a share of the price.
const spread = 0.001

// Price quotes s at t. Prices are deterministic: the same symbol and minute give
// the same quote, moving within 3% of the symbol's base price over an hour.
func Price(s Symbol, t time.Time) Quote {
	t = t.UTC().Truncate(time.Minute)
	phase := float64(fnvHash(s.Ticker)%360) * math.Pi / 180
	hour := 2 * math.Pi * float64(t.Unix()%3600) / 3600
	mid := s.Base * (1 + 0.03*math.Sin(hour+phase))
	return Quote{
		Symbol:   s.Ticker,
		Price:    cents(mid),
		Bid:      cents(mid * (1 - spread/2)),
		Ask:      cents(mid * (1 + spread/2)),
		Currency: s.Currency,
		Time:     t,
	}
}

func cents(v float64) float64 { return math.Round(v*100) / 100 }

func fnvHash(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}
