// Package market knows the listed symbols and prices them.
package market

import (
	"sort"
	"strings"
)

// Symbol is one listed instrument.
type Symbol struct {
	Ticker   string `json:"symbol"`
	Name     string `json:"name"`
	Currency string `json:"currency"`
	// Sector is the industry the issuer belongs to.
	Sector string `json:"sector"`
	// Base is the reference price the quote moves around, in the currency.
	Base float64 `json:"-"`
}

var symbols = map[string]Symbol{
	"ACME":  {Ticker: "ACME", Name: "Acme Corporation", Currency: "USD", Sector: "industrials", Base: 142.50},
	"GLOBX": {Ticker: "GLOBX", Name: "Globex", Currency: "USD", Sector: "energy", Base: 87.20},
	"INITK": {Ticker: "INITK", Name: "Initech", Currency: "USD", Sector: "software", Base: 23.75},
	"UMBRL": {Ticker: "UMBRL", Name: "Umbrella", Currency: "EUR", Sector: "health-care", Base: 310.00},
	"HOOLI": {Ticker: "HOOLI", Name: "Hooli", Currency: "USD", Sector: "software", Base: 1204.10},
}

// Lookup returns the symbol with ticker (case-insensitive).
func Lookup(ticker string) (Symbol, bool) {
	s, ok := symbols[strings.ToUpper(strings.TrimSpace(ticker))]
	return s, ok
}

// Symbols returns every listed symbol, by ticker.
func Symbols() []Symbol {
	out := make([]Symbol, 0, len(symbols))
	for _, s := range symbols {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Ticker < out[j].Ticker })
	return out
}
