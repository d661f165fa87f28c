package market

import (
	"testing"
	"time"
)

func TestLookup(t *testing.T) {
	for _, in := range []string{"ACME", "acme", " Acme "} {
		if s, ok := Lookup(in); !ok || s.Ticker != "ACME" {
			t.Errorf("Lookup(%q) = %v, %v; want ACME", in, s, ok)
		}
	}
	if _, ok := Lookup("NOPE"); ok {
		t.Errorf("Lookup(NOPE) found a symbol")
	}
}

func TestSymbolsSorted(t *testing.T) {
	got := Symbols()
	if len(got) != 5 {
		t.Fatalf("Symbols() has %d symbols, want 5", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i-1].Ticker >= got[i].Ticker {
			t.Errorf("Symbols() not sorted: %s before %s", got[i-1].Ticker, got[i].Ticker)
		}
	}
}

func TestPrice(t *testing.T) {
	acme, _ := Lookup("ACME")
	at := time.Date(2026, 3, 2, 11, 16, 30, 0, time.UTC)
	q := Price(acme, at)
	if q != Price(acme, at.Add(20*time.Second)) {
		t.Errorf("Price differs within one minute: prices must be deterministic per minute")
	}
	if q.Price < acme.Base*0.97 || q.Price > acme.Base*1.03 {
		t.Errorf("Price = %v, want within 3%% of %v", q.Price, acme.Base)
	}
	if !(q.Bid < q.Price && q.Price < q.Ask) {
		t.Errorf("bid %v, price %v, ask %v: want bid < price < ask", q.Bid, q.Price, q.Ask)
	}
	if q.Symbol != "ACME" || q.Currency != "USD" || !q.Time.Equal(at.Truncate(time.Minute)) {
		t.Errorf("Price = %+v, want ACME in USD at the minute", q)
	}
}
