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
	m := summaryMessage(inc)
	if inc.RollbackExecuted {
		m.Text = fmt.Sprintf("Incident %s: %s. Traffic has been on %s since %s; the system is stable.",
			inc.ID, inc.Summary, orUnknown(inc.StableVersion), clock(inc.MitigatedAt))
	}
	return m
}

// summaryMessage is the incident as it stands: the first message of its chat
// conversation, edited as the incident moves on.
func summaryMessage(inc Incident) notify.Message {
	started := inc.StartedAt
	if started.IsZero() {
		started = inc.OpenedAt
	}
	fields := []notify.Field{
		{Name: "Status", Value: statusLine(inc)},
		{Name: "Severity", Value: inc.Severity},
		{Name: "Started", Value: started.UTC().Format("2006-01-02 15:04:05 UTC")},
		{Name: "Affected version", Value: inc.AffectedVersion},
	}
	if inc.RollbackExecuted {
		fields = append(fields, notify.Field{Name: "Rollback", Value: fmt.Sprintf("executed at %s, 100%% of traffic on %s", clock(inc.MitigatedAt), orUnknown(inc.StableVersion))})
	} else {
		fields = append(fields, notify.Field{Name: "Rollback", Value: "none yet"})
	}
	for _, mt := range inc.Metrics {
		fields = append(fields, notify.Field{Name: mt.Name, Value: metricValue(mt)})
	}
	if inc.Alert != "" {
		fields = append(fields, notify.Field{Name: "Alert", Value: inc.Alert})
	}
	if inc.Commander != "" {
		fields = append(fields, notify.Field{Name: "Commander", Value: inc.Commander})
	}
	if inc.FixVersion != "" {
		fields = append(fields, notify.Field{Name: "Fix version", Value: inc.FixVersion})
	}
	title := "Canary degradation detected"
	if !inc.RollbackExecuted {
		title = "Incident: " + inc.Title
	}
	return notify.Message{
		Kind:     notify.KindIncident,
		Severity: inc.Severity,
		Title:    title,
		Text:     fmt.Sprintf("Incident %s: %s.", inc.ID, inc.Summary),
		Service:  inc.Service,
		Env:      inc.Env,
		Version:  inc.AffectedVersion,
		Incident: inc.ID,
		Channel:  inc.Channel,
		Fields:   fields,
		Time:     inc.OpenedAt,
	}
}

// statusLine reads "mitigated since 10:08:31 UTC".
func statusLine(inc Incident) string {
	switch inc.Status {
	case Mitigated:
		return "mitigated since " + clock(inc.MitigatedAt)
	case Resolved:
		s := "resolved at " + clock(inc.ResolvedAt)
		if inc.FixVersion != "" {
			s += " by " + inc.FixVersion
		}
		return s
	case Closed:
		return "closed at " + clock(inc.ClosedAt)
	}
	return string(inc.Status)
}

// updateMessage is one timeline entry, threaded under the summary.
func updateMessage(inc Incident, u Update) notify.Message {
	title := fmt.Sprintf("Incident %s update", inc.ID)
	if u.Status != "" {
		title = fmt.Sprintf("Incident %s is %s", inc.ID, u.Status)
	}
	text := u.Text
	if u.By != "" {
		text = u.By + ": " + text
	}
	return notify.Message{
		Kind:     notify.KindIncident,
		Severity: notify.SeverityInfo,
		Title:    title,
		Text:     text,
		Service:  inc.Service,
		Env:      inc.Env,
		Version:  inc.AffectedVersion,
		Incident: inc.ID,
		Channel:  inc.Channel,
		Fields:   []notify.Field{{Name: "Status", Value: statusLine(inc)}},
		Time:     u.At,
	}
}

// resolvedMessage is the final message of the conversation: how long each phase
// took and what fixed it.
func resolvedMessage(inc Incident) notify.Message {
	text := fmt.Sprintf("Incident %s is resolved after %s.", inc.ID, inc.ResolvedAt.Sub(inc.OpenedAt).Round(time.Second))
	if inc.FixVersion != "" {
		text = fmt.Sprintf("Incident %s is resolved: %s serves 100%% of %s.", inc.ID, inc.FixVersion, inc.Env)
	}
	if inc.Resolution != "" {
		text += " " + inc.Resolution
	}
	fields := []notify.Field{{Name: "Status", Value: statusLine(inc)}}
	for _, d := range []struct {
		name string
		f    func() (time.Duration, bool)
	}{{"Time to detect", inc.TimeToDetect}, {"Time to mitigate", inc.TimeToMitigate}, {"Time to resolve", inc.TimeToResolve}} {
		if v, ok := d.f(); ok {
			fields = append(fields, notify.Field{Name: d.name, Value: Round(v).String()})
		}
	}
	if inc.FixVersion != "" {
		fields = append(fields, notify.Field{Name: "Fix version", Value: inc.FixVersion})
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
		Fields:   fields,
		Time:     inc.ResolvedAt,
	}
}

// Round rounds a response time for people: tenths of a second under a minute,
// seconds after.
func Round(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
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
