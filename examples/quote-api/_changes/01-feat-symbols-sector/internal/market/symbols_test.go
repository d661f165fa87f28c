package market

import "testing"

func TestEverySymbolHasASector(t *testing.T) {
	for _, s := range Symbols() {
		if s.Sector == "" {
			t.Errorf("symbol %s has no sector", s.Ticker)
		}
	}
	if s, _ := Lookup("HOOLI"); s.Sector != "software" {
		t.Errorf("HOOLI sector = %q, want software", s.Sector)
	}
}
