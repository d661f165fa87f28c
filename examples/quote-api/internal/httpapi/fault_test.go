package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestFaultsFromEnv(t *testing.T) {
	for _, tt := range []struct {
		rate, jitter string
		want         Faults
		wantErr      bool
	}{
		{"", "", Faults{}, false},
		{"0.005", "", Faults{ErrorRate: 0.005}, false},
		{"0.5%", "20ms", Faults{ErrorRate: 0.005, Jitter: 20 * time.Millisecond}, false},
		{"1", "0s", Faults{ErrorRate: 1}, false},
		{"1.5", "", Faults{}, true},
		{"-0.1", "", Faults{}, true},
		{"half", "", Faults{}, true},
		{"", "soon", Faults{}, true},
		{"", "-1ms", Faults{}, true},
	} {
		env := map[string]string{EnvFaultErrorRate: tt.rate, EnvFaultJitter: tt.jitter}
		got, err := FaultsFromEnv(func(k string) string { return env[k] })
		if (err != nil) != tt.wantErr || err == nil && got != tt.want {
			t.Errorf("FaultsFromEnv(%q, %q) = %+v, %v; want %+v, error %v", tt.rate, tt.jitter, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFaultsFailTheirShareOfAPIRequestsOnly(t *testing.T) {
	// The wrapped handler answers at once: the test is about the faults, and must not
	// slow down with whatever the market code costs in a given version.
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	h := Faults{ErrorRate: 0.2}.Wrap(ok)
	const n = 4000
	failed := 0
	for range n {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/quotes?symbol=ACME", nil))
		if rec.Code == http.StatusInternalServerError {
			failed++
		}
		health := httptest.NewRecorder()
		h.ServeHTTP(health, httptest.NewRequest("GET", "/health/ready", nil))
		if health.Code != http.StatusOK {
			t.Fatalf("health check answered %d under faults", health.Code)
		}
	}
	// 20% of 4000: 800, standard deviation about 25
	if failed < 650 || failed > 950 {
		t.Errorf("%d of %d requests failed, want about 800", failed, n)
	}
	if h := (Faults{}).Wrap(http.NotFoundHandler()); h == nil {
		t.Error("Wrap without faults returned nil")
	}
}
