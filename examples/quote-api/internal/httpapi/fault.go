package httpapi

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Faults make the API misbehave on purpose, the same way in every version, to
// rehearse how a canary is judged on noisy traffic: a background share of errors
// and random extra latency on the /v1/ routes (health checks are spared).
type Faults struct {
	// ErrorRate is the share of requests answered 500, 0 to 1.
	ErrorRate float64
	// Jitter is the most extra latency a request gets, drawn uniformly from 0 to it.
	Jitter time.Duration
}

// Environment variables FaultsFromEnv reads.
const (
	EnvFaultErrorRate = "QUOTE_API_FAULT_ERROR_RATE"
	EnvFaultJitter    = "QUOTE_API_FAULT_JITTER"
)

// FaultsFromEnv reads QUOTE_API_FAULT_ERROR_RATE (a fraction such as 0.005, or a
// percentage such as 0.5%) and QUOTE_API_FAULT_JITTER (a duration such as 20ms).
// Unset variables mean no fault.
func FaultsFromEnv(getenv func(string) string) (Faults, error) {
	var f Faults
	if v := strings.TrimSpace(getenv(EnvFaultErrorRate)); v != "" {
		scale := 1.0
		if s, ok := strings.CutSuffix(v, "%"); ok {
			v, scale = s, 0.01
		}
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r*scale < 0 || r*scale > 1 {
			return Faults{}, fmt.Errorf("%s=%q: want a share of requests from 0 to 1 (0.005) or a percentage (0.5%%)", EnvFaultErrorRate, getenv(EnvFaultErrorRate))
		}
		f.ErrorRate = r * scale
	}
	if v := strings.TrimSpace(getenv(EnvFaultJitter)); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return Faults{}, fmt.Errorf("%s=%q: want a duration such as 20ms", EnvFaultJitter, v)
		}
		f.Jitter = d
	}
	return f, nil
}

// Wrap returns next with the faults applied; with none it returns next itself.
func (f Faults) Wrap(next http.Handler) http.Handler {
	if f.ErrorRate == 0 && f.Jitter == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/") {
			next.ServeHTTP(w, r)
			return
		}
		if f.Jitter > 0 {
			time.Sleep(rand.N(f.Jitter + 1)) // the injected latency itself
		}
		if f.ErrorRate > 0 && rand.Float64() < f.ErrorRate {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "injected fault (" + EnvFaultErrorRate + ")"})
			return
		}
		next.ServeHTTP(w, r)
	})
}
