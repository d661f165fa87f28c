package market

import (
	"sync"
	"testing"
)

func TestLiveSpread(t *testing.T) {
	acme, _ := Lookup("ACME")
	initk, _ := Lookup("INITK")
	a, i := liveSpread(acme), liveSpread(initk)
	if a <= 0 || a > 0.005 || i <= 0 || i > 0.005 {
		t.Errorf("spreads ACME %v, INITK %v; want between 0 and 0.5%%", a, i)
	}
	if i <= a {
		t.Errorf("INITK spread %v <= ACME spread %v: a cheaper symbol should quote a wider spread", i, a)
	}
	if again := liveSpread(acme); again != a {
		t.Errorf("liveSpread(ACME) = %v then %v: want the same spread", a, again)
	}
}

func TestLiveSpreadFitsOncePerSymbol(t *testing.T) {
	hooli, _ := Lookup("HOOLI")
	before := fits.Load()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			liveSpread(hooli)
		}()
	}
	wg.Wait()
	liveSpread(hooli)
	if n := fits.Load() - before; n != 0 {
		t.Errorf("9 quotes of HOOLI fitted the spread model %d more times, want none: it is fitted at start", n)
	}
	if n, want := fits.Load(), int64(len(Symbols())); n != want {
		t.Errorf("%d fits since start, want one per symbol (%d)", n, want)
	}
}
