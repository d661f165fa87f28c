// Package pricing quotes what a product costs over a contract term. It is independent
// of contract validation: a change to the domain rules never touches it.
package pricing

import (
	"errors"
	"fmt"
	"sort"
)

// ErrUnknownProduct is returned for a product missing from the catalogue.
var ErrUnknownProduct = errors.New("unknown product")

// MaxMonths is the longest term quoted.
const MaxMonths = 60

// catalogue holds monthly list prices in cents.
var catalogue = map[string]int64{
	"fiber-500":  3999,
	"fiber-1000": 5499,
	"mobile-10":  1299,
	"tv-basic":   1999,
}

// Quote is the price of a product over a term.
type Quote struct {
	Product         string `json:"product"`
	Months          int    `json:"months"`
	MonthlyCents    int64  `json:"monthly_cents"`
	DiscountPercent int    `json:"discount_percent"`
	TotalCents      int64  `json:"total_cents"`
}

// Products lists the catalogue's product names, sorted.
func Products() []string {
	names := make([]string, 0, len(catalogue))
	for name := range catalogue {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// For quotes product over months: 5% off for a year or more, 10% for two years or
// more, rounded to the nearest cent.
func For(product string, months int) (Quote, error) {
	monthly, ok := catalogue[product]
	if !ok {
		return Quote{}, fmt.Errorf("quote %q: %w", product, ErrUnknownProduct)
	}
	if months < 1 || months > MaxMonths {
		return Quote{}, fmt.Errorf("quote %q: months must be between 1 and %d (got %d)", product, MaxMonths, months)
	}
	discount := 0
	switch {
	case months >= 24:
		discount = 10
	case months >= 12:
		discount = 5
	}
	gross := monthly * int64(months)
	total := (gross*int64(100-discount) + 50) / 100
	return Quote{Product: product, Months: months, MonthlyCents: monthly, DiscountPercent: discount, TotalCents: total}, nil
}
