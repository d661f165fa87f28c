package incident

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// value renders a measured value of metric in the unit people read it in: error
// rates in %, latencies in ms, memory in MiB, cpu in cores, log lines as a count,
// the sequential test's evidence as an e-value.
func value(metric string, v float64) string {
	switch canonical(metric) {
	case "error-rate":
		return percent(v)
	case "latency-p50", "latency-p90", "latency-p95", "latency-p99":
		return millis(v)
	case "memory":
		return fmt.Sprintf("%s MiB", decimals(v/(1<<20), 1))
	case "cpu":
		return fmt.Sprintf("%s cores", decimals(v, 2))
	case "critical-logs":
		if v == 1 {
			return "1 line"
		}
		return num(v) + " lines"
	case "sequential":
		return "e-value " + sig(v)
	}
	return num(v)
}

// percent renders a ratio as a percentage with two decimals: 0.0211 is 2.11%.
func percent(v float64) string { return decimals(v*100, 2) + "%" }

// millis renders seconds as milliseconds: one decimal under 10 ms, whole above.
func millis(v float64) string {
	ms := v * 1000
	if ms < 10 {
		return decimals(ms, 1) + " ms"
	}
	return decimals(ms, 0) + " ms"
}

// decimals formats v with at most n decimals and no trailing zeros.
func decimals(v float64, n int) string {
	s := strconv.FormatFloat(v, 'f', n, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// sig formats v with four significant digits, without an exponent for the values
// an e-value takes.
func sig(v float64) string {
	if math.Abs(v) >= 1e6 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	return decimals(v, max(0, 3-int(math.Floor(math.Log10(math.Max(math.Abs(v), 1e-9))))))
}

// threshold says what a check demanded, in words: "<= 1%", "<= 3x stable",
// "<= 250 ms and <= 2x stable", "e-value < 100 (alpha 0.01)". cfg is the check as
// configured (ok false when the journal does not hold it), r a reading of it.
func threshold(r pmReading, cfg pmReading, ok bool) string {
	m := canonical(r.Metric)
	if m == "sequential" {
		if r.Threshold > 0 {
			return fmt.Sprintf("e-value < %s (alpha %s)", sig(r.Threshold), sig(1/r.Threshold))
		}
		return "-"
	}
	var parts []string
	if ok {
		if !cfg.NoMax {
			parts = append(parts, "<= "+value(m, cfg.Max))
		}
		if cfg.VsStable > 0 {
			parts = append(parts, fmt.Sprintf("<= %sx stable", num(cfg.VsStable)))
		}
	} else {
		parts = append(parts, "<= "+value(m, r.Threshold))
		if r.StableBound > 0 {
			parts = append(parts, "<= "+value(m, r.StableBound)+" from stable")
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " and ")
}

// stableValue is the stable version's value in the same reading, "-" when the
// reading does not carry one. The error rate of the stable comes from the
// sequential test's counts when the check itself did not compare.
func stableValue(r pmReading, seq *pmReading) string {
	m := canonical(r.Metric)
	switch {
	case m == "sequential":
		return "-"
	case m == "error-rate" && seq != nil && seq.StableRequests > 0:
		return percent(seq.StableErrors / seq.StableRequests)
	case r.Stable != 0 || r.StableBound != 0:
		return value(m, r.Stable)
	}
	return "-"
}

// span renders a duration for people: "2.9 s", "3 min 5 s", "2 h 2 min".
func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return decimals(Round(d).Seconds(), 1) + " s"
	case d < time.Hour:
		d = d.Round(time.Second)
		m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
		if s == 0 {
			return fmt.Sprintf("%d min", m)
		}
		return fmt.Sprintf("%d min %d s", m, s)
	}
	d = d.Round(time.Minute)
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	if m == 0 {
		return fmt.Sprintf("%d h", h)
	}
	return fmt.Sprintf("%d h %d min", h, m)
}

// plural reads "1 error", "2 errors".
func plural(n float64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return num(n) + " " + noun + "s"
}
