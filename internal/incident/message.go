package incident

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/notify"
)

// openedMessage is the initial announcement: start time, affected version,
// impacted metrics, rollback executed, current status.
func openedMessage(inc Incident) notify.Message {
	fields := []notify.Field{
		{Name: "Started", Value: inc.OpenedAt.Format("2006-01-02 15:04:05 UTC")},
		{Name: "Affected version", Value: inc.AffectedVersion},
		{Name: "Action", Value: "rollback executed, 100% of traffic on " + orUnknown(inc.StableVersion)},
	}
	for _, mt := range inc.Metrics {
		fields = append(fields, notify.Field{Name: mt.Name, Value: metricValue(mt)})
	}
	fields = append(fields, notify.Field{Name: "Status", Value: string(inc.Status)})
	return notify.Message{
		Kind:     notify.KindIncident,
		Severity: inc.Severity,
		Title:    "Canary degradation detected",
		Text: fmt.Sprintf("Incident %s: %s. Traffic has been on %s since %s; the system is stable.",
			inc.ID, inc.Summary, orUnknown(inc.StableVersion), clock(inc.StabilizedAt)),
		Service:  inc.Service,
		Env:      inc.Env,
		Version:  inc.AffectedVersion,
		Incident: inc.ID,
		Channel:  inc.Channel,
		Fields:   fields,
		Time:     inc.OpenedAt,
	}
}

func resolvedMessage(inc Incident) notify.Message {
	text := fmt.Sprintf("Incident %s is resolved after %s.", inc.ID, inc.ResolvedAt.Sub(inc.OpenedAt).Round(time.Second))
	if inc.Resolution != "" {
		text += " " + inc.Resolution
	}
	return notify.Message{
		Kind:     notify.KindIncident,
		Severity: notify.SeverityInfo,
		Title:    "Incident " + inc.ID + " resolved",
		Text:     text,
		Service:  inc.Service,
		Env:      inc.Env,
		Version:  inc.AffectedVersion,
		Incident: inc.ID,
		Channel:  inc.Channel,
		Fields:   []notify.Field{{Name: "Status", Value: string(inc.Status)}},
		Time:     inc.ResolvedAt,
	}
}

// metricValue reads "0.083 > 0.01 (100 errors in 1200 requests)".
func metricValue(mt Metric) string {
	s := num(mt.Value) + mt.Unit
	op := "<="
	if mt.Value > mt.Threshold {
		op = ">"
	}
	s += " " + op + " " + num(mt.Threshold) + mt.Unit
	switch {
	case mt.Errors > 0:
		s += fmt.Sprintf(" (%s errors in %s requests)", num(mt.Errors), num(mt.Samples))
	case mt.Samples > 0:
		s += fmt.Sprintf(" (%s requests)", num(mt.Samples))
	}
	return s
}

// metricsLine reads "error_rate 0.083 > 0.01, latency_p95 0.41s > 0.3s".
func metricsLine(ms []Metric) string {
	var parts []string
	for _, mt := range ms {
		op := "<="
		if mt.Value > mt.Threshold {
			op = ">"
		}
		parts = append(parts, fmt.Sprintf("%s %s%s %s %s%s", mt.Name, num(mt.Value), mt.Unit, op, num(mt.Threshold), mt.Unit))
	}
	return strings.Join(parts, ", ")
}

// num formats a measured value: whole numbers as integers, others with up to
// three decimals, small fractions with four significant digits.
func num(v float64) string {
	switch {
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.FormatInt(int64(v), 10)
	case math.Abs(v) >= 1:
		return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(v, 'f', 3, 64), "0"), ".")
	default:
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
}

// clock is a time as "15:04:05 UTC".
func clock(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return t.UTC().Format("15:04:05 UTC")
}

func orUnknown(s string) string {
	if s == "" {
		return "the stable version"
	}
	return s
}
