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

var metrics = []string{MetricErrorRate, MetricLatencyP95, MetricLatencyP99}

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
	if s == "" {
		return 0, fmt.Errorf("max is required: the highest acceptable %s", m.Metric)
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
	}
	return 0, fmt.Errorf("unknown metric %q: valid metrics are %s", m.Metric, strings.Join(metrics, ", "))
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
