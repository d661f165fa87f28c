package config

import (
	"fmt"
	"math"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Metrics a [MetricCheck] may judge.
const (
	MetricErrorRate  = "error-rate"
	MetricLatencyP95 = "latency-p95"
	MetricLatencyP99 = "latency-p99"
)

// More metrics a [MetricCheck] may judge.
const (
	MetricCPU          = "cpu"
	MetricMemory       = "memory"
	MetricCriticalLogs = "critical-logs"
)

var metrics = []string{MetricErrorRate, MetricLatencyP95, MetricLatencyP99, MetricCPU, MetricMemory, MetricCriticalLogs}

// RunsBaseline reports whether rollouts start a baseline beside the candidate
// (Baseline, default true).
func (r Rollout) RunsBaseline() bool { return r.Baseline == nil || *r.Baseline }

// Profile returns the rollout to use for a change: r itself, or, when hotfix is true,
// r with the hotfix profile's steps, bake, interval, minimum requests and checks laid over it. The
// result shares no slices with r.
func (r Rollout) Profile(hotfix bool) Rollout {
	out := r
	out.Steps = slices.Clone(r.Steps)
	out.Analysis.Checks = slices.Clone(r.Analysis.Checks)
	if !hotfix || r.Hotfix == nil {
		return out
	}
	h := r.Hotfix
	if len(h.Steps) > 0 {
		out.Steps = slices.Clone(h.Steps)
	}
	if h.Bake != 0 {
		out.Bake = h.Bake
	}
	if h.Interval != 0 {
		out.Interval = h.Interval
	}
	if h.MinRequests != 0 {
		out.Analysis.MinRequests = h.MinRequests
	}
	if len(h.Checks) > 0 {
		out.Analysis.Checks = slices.Clone(h.Checks)
	}
	return out
}

// Threshold returns Max as a number in the metric's unit: a ratio from 0 to 1 for
// error-rate ("0.01" or "1%"), seconds for latency-p95 and latency-p99 ("250ms").
func (m MetricCheck) Threshold() (float64, error) {
	s := strings.TrimSpace(m.Max)
	if s == "" && m.MaxVsStable > 0 {
		return math.Inf(1), nil // only the bound relative to stable applies
	}
	if s == "" {
		return 0, fmt.Errorf("max or max-vs-stable is required: the highest acceptable %s", m.Metric)
	}
	switch m.Metric {
	case MetricErrorRate:
		pct, isPct := strings.CutSuffix(s, "%")
		v, err := strconv.ParseFloat(strings.TrimSpace(pct), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("max %q is not a ratio: write 0.01 or 1%%", m.Max)
		}
		if isPct {
			v /= 100
		}
		if v < 0 || v > 1 {
			return 0, fmt.Errorf("max %q is outside 0..1: an error rate is a ratio, write 0.01 or 1%%", m.Max)
		}
		return v, nil
	case MetricLatencyP95, MetricLatencyP99:
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("max %q is not a duration: write a latency like 250ms or 1.5s", m.Max)
		}
		if d <= 0 {
			return 0, fmt.Errorf("max %q must be more than zero", m.Max)
		}
		return d.Seconds(), nil
	case MetricCPU:
		milli, isMilli := strings.CutSuffix(s, "m")
		v, err := strconv.ParseFloat(milli, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
			return 0, fmt.Errorf("max %q is not a CPU amount: write cores like 0.5 or millicores like 500m", m.Max)
		}
		if isMilli {
			v /= 1000
		}
		return v, nil
	case MetricMemory:
		return parseBytes(m.Max)
	case MetricCriticalLogs:
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("max %q is not a count of log lines: write 0 or a positive whole number", m.Max)
		}
		return float64(v), nil
	}
	return 0, fmt.Errorf("unknown metric %q: valid metrics are %s", m.Metric, strings.Join(metrics, ", "))
}

var byteUnits = []struct {
	suffix string
	mult   float64
}{{"Ki", 1 << 10}, {"Mi", 1 << 20}, {"Gi", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}

// parseBytes reads a memory size: 268435456, 256Mi, 1Gi, 300MB.
func parseBytes(raw string) (float64, error) {
	s := strings.TrimSpace(raw)
	mult := 1.0
	for _, u := range byteUnits {
		if n, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = n, u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || v <= 0 {
		return 0, fmt.Errorf("max %q is not a memory size: write bytes like 256Mi, 1Gi or 300MB", raw)
	}
	return v * mult, nil
}

// WebhookURL returns the webhook with ${VAR} references expanded from the process
// environment. It fails when a variable is unset or the result is not an http(s) URL;
// the error never contains the expanded value, which may hold a secret.
func (n Notify) WebhookURL() (string, error) {
	var missing []string
	expanded := os.Expand(n.Webhook, func(name string) string {
		v, ok := os.LookupEnv(name)
		if !ok {
			missing = append(missing, "${"+name+"}")
		}
		return v
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("webhook %q uses %s, not set in the environment: set it, or write the URL", n.Webhook, strings.Join(missing, ", "))
	}
	u, err := url.Parse(expanded)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("webhook %q must be an http or https URL once expanded, like https://hooks.example.com/slipway", n.Webhook)
	}
	return expanded, nil
}
