package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/router"
)

// SLO is a service level objective: the share of good requests the service promises
// over a rolling window. Slipway turns each one into multi-window, multi-burn-rate
// alerts (see slipway slo rules), evaluated per environment and per version.
//
// An availability SLO counts a request good when it was not a server error (status
// below 500); a latency SLO (latency set) counts it good when it was answered
// within the threshold.
type SLO struct {
	// Name identifies the objective (required, unique): lower-case letters, digits
	// and dashes, e.g. availability or latency.
	Name string `yaml:"name" json:"name"`
	// Objective is the good-request ratio promised (required): 99.9% or 0.999,
	// strictly between 0 and 100%.
	Objective string `yaml:"objective" json:"objective"`
	// Window is the rolling period the objective holds over: days (30d), weeks (4w)
	// or hours (720h), from 3d to 365d. Default 30d. The alerts' burn-rate
	// thresholds follow from it (14.4, 6 and 1 for 30d).
	Window string `yaml:"window" json:"window,omitempty"`
	// MinRequests is the least number of requests each window of an alert must
	// hold before it may fire: a handful of requests says nothing of a ratio.
	// Default 100.
	MinRequests int `yaml:"min-requests" json:"min-requests,omitempty"`
	// Latency, when set, makes this a latency objective.
	Latency *LatencySLO `yaml:"latency" json:"latency,omitempty"`
}

// LatencySLO says how fast a good request is.
type LatencySLO struct {
	// Threshold is the slowest good response (required), one of the router's
	// histogram bounds so the count is exact: 1ms, 2.5ms, 5ms, 10ms, 25ms, 50ms,
	// 100ms, 250ms, 500ms, 1s, 2.5s, 5s or 10s.
	Threshold Duration `yaml:"threshold" json:"threshold"`
}

// Defaults of an SLO.
const (
	defaultSLOWindow      = "30d"
	defaultSLOMinRequests = 100
)

// Bounds of an SLO's window: the longest alert window is 3d.
const (
	minSLOWindow = 3 * 24 * time.Hour
	maxSLOWindow = 365 * 24 * time.Hour
)

func (s *SLO) setDefaults() {
	if s.Window == "" {
		s.Window = defaultSLOWindow
	}
	if s.MinRequests == 0 {
		s.MinRequests = defaultSLOMinRequests
	}
}

// Ratio returns Objective as a ratio between 0 and 1, exclusive.
func (s SLO) Ratio() (float64, error) {
	raw := strings.TrimSpace(s.Objective)
	if raw == "" {
		return 0, fmt.Errorf("objective is required: the good-request ratio promised, e.g. 99.9%%")
	}
	num, pct := strings.CutSuffix(raw, "%")
	num = strings.TrimSpace(num)
	if pct && !strings.ContainsAny(num, "eE") {
		num += "e-2" // parsed in one rounding: 99.9% is exactly the float 0.999
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || (pct && strings.ContainsAny(strings.TrimSuffix(num, "e-2"), "eE")) {
		return 0, fmt.Errorf("objective %q is not a ratio: write 99.9%% or 0.999", s.Objective)
	}
	if v <= 0 || v >= 1 {
		return 0, fmt.Errorf("objective %q must lie strictly between 0 and 100%%: 100%% leaves no error budget, write 99.9%% or 0.999", s.Objective)
	}
	return v, nil
}

// Period returns Window as a duration.
func (s SLO) Period() (time.Duration, error) {
	w := s.Window
	if w == "" {
		w = defaultSLOWindow
	}
	d, err := ParsePeriod(w)
	if err != nil {
		return 0, err
	}
	if d < minSLOWindow || d > maxSLOWindow {
		return 0, fmt.Errorf("window %q must be from 3d (the longest alert window) to 365d", w)
	}
	return d, nil
}

// ParsePeriod reads a duration that may be written in days or weeks: 30d, 4w, 12h,
// 1d12h.
func ParsePeriod(s string) (time.Duration, error) {
	bad := fmt.Errorf("%q is not a period: write days (30d), weeks (4w) or hours (720h)", s)
	rest := strings.TrimSpace(s)
	if rest == "" {
		return 0, bad
	}
	var total time.Duration
	for _, unit := range []struct {
		suffix string
		d      time.Duration
	}{{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}} {
		i := strings.Index(rest, unit.suffix)
		if i < 0 {
			continue
		}
		n, err := strconv.Atoi(rest[:i])
		if err != nil || n < 0 {
			return 0, bad
		}
		total += time.Duration(n) * unit.d
		rest = rest[i+1:]
	}
	if rest != "" {
		d, err := time.ParseDuration(rest)
		if err != nil || d < 0 {
			return 0, bad
		}
		total += d
	}
	if total <= 0 {
		return 0, bad
	}
	return total, nil
}

// validateSLOs checks every objective.
func (c *Config) validateSLOs(ps *problems) {
	seen := map[string]int{}
	for i, s := range c.SLOs {
		f := fmt.Sprintf("slo[%d]", i)
		switch {
		case s.Name == "":
			ps.add(f+".name", "name is required: e.g. availability or latency")
		case !namePattern.MatchString(s.Name):
			ps.add(f+".name", "name %q must be lower-case letters, digits and single dashes, starting with a letter", s.Name)
		default:
			if first, dup := seen[s.Name]; dup {
				ps.add(f+".name", "name %q is already used by slo[%d]: names must be unique", s.Name, first)
			} else {
				seen[s.Name] = i
			}
		}
		if _, err := s.Ratio(); err != nil {
			ps.add(f+".objective", "%v", err)
		}
		if _, err := s.Period(); err != nil {
			ps.add(f+".window", "%v", err)
		}
		if s.MinRequests < 1 {
			ps.add(f+".min-requests", "min-requests must be at least 1")
		}
		if s.Latency != nil {
			t := s.Latency.Threshold.D().Seconds()
			if !slices.Contains(router.DurationBuckets(), t) {
				ps.add(f+".latency.threshold", "threshold %s is not one of the router's histogram bounds (%s): pick one, so good requests are counted exactly",
					s.Latency.Threshold.D(), bucketList())
			}
		}
	}
}

func bucketList() string {
	var out []string
	for _, b := range router.DurationBuckets() {
		out = append(out, time.Duration(b*float64(time.Second)).String())
	}
	return strings.Join(out, ", ")
}
