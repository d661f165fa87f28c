package market

import "testing"

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
