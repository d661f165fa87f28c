package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/telemetry"
)

// logLine is one line to print, with the time it was written at.
type logLine struct {
	at          time.Time
	label, text string
}

// print writes the lines of groups (each in the order written) merged by time,
// each after its label when prefix.
func (o *logsOptions) print(groups [][]logLine, prefix bool) {
	next := make([]int, len(groups))
	for {
		g := -1
		for i, ls := range groups {
			if next[i] < len(ls) && (g < 0 || ls[next[i]].at.Before(groups[g][next[g]].at)) {
				g = i
			}
		}
		if g < 0 {
			return
		}
		l := groups[g][next[g]]
		next[g]++
		if prefix {
			fmt.Fprintf(o.out, "[%s] ", l.label)
		}
		io.WriteString(o.out, l.text)
	}
}

// otlpGrace is how far back --follow looks again for log records that arrived
// late: exporters batch, so a record can arrive after later ones. One that
// arrives more than this after it was written is not printed.
const otlpGrace = time.Minute

// otlpLogs reads the log records the control plane's OTLP receiver kept.
type otlpLogs struct {
	st     *telemetry.Store // nil: no traces.db, no records
	labels map[string]bool  // the labels of the records printed so far
	polled bool
	maxID  int64     // the newest record printed
	since  time.Time // where the next poll starts
}

// openOTLP opens <data>/traces.db read-only; without one there are no records.
func (o *logsOptions) openOTLP(ctx context.Context) (*otlpLogs, error) {
	path := filepath.Join(o.data, telemetry.File)
	st, err := telemetry.OpenReadOnly(ctx, path)
	if errors.Is(err, telemetry.ErrNoTraces) {
		return &otlpLogs{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("logs: read the OTLP log records: %w (move the file aside to print the log files alone)", err)
	}
	return &otlpLogs{st: st, labels: map[string]bool{}}, nil
}

func (x *otlpLogs) close() {
	if x.st != nil {
		x.st.Close()
	}
}

// sources is how many labels the records printed so far carried.
func (x *otlpLogs) sources() int { return len(x.labels) }

// has says whether records of --version were kept, when no log file is left.
func (x *otlpLogs) has(ctx context.Context, o *logsOptions) bool {
	if x.st == nil || o.version == "" {
		return false
	}
	got, err := x.st.Logs(ctx, telemetry.LogFilter{Service: o.service, Env: o.env, Version: o.version, Limit: 1})
	return err == nil && len(got) > 0
}

// poll returns the records of the versions srcs are instances of (--version
// when there are none) not returned before, at --level or above: first the
// last --tail of each version, then what arrived since.
func (x *otlpLogs) poll(ctx context.Context, o *logsOptions, srcs []*logSource) ([]logLine, error) {
	if x.st == nil {
		return nil, nil
	}
	f := telemetry.LogFilter{Env: o.env, Since: x.since}
	if o.level != nil {
		f.MinSeverity = max(int(*o.level)+9, 1) // OTLP severity numbers are slog levels + 9
	}
	if !x.polled {
		x.polled = true
		if o.tail == 0 {
			x.since = time.Now().Add(-otlpGrace)
			return nil, nil
		}
		f.Limit = max(o.tail, 0)
	}
	type of struct{ service, version string }
	whose := []of{{o.service, o.version}}
	if len(srcs) > 0 {
		whose = nil
		for _, s := range srcs {
			if w := (of{s.service, s.version}); !slices.Contains(whose, w) {
				whose = append(whose, w)
			}
		}
	}
	var out []logLine
	newest := x.maxID
	for _, w := range whose {
		f.Service, f.Version = w.service, w.version
		recs, err := x.st.Logs(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("logs: OTLP log records of %s: %w", w.version, err)
		}
		for _, r := range recs {
			if r.ID <= x.maxID {
				continue
			}
			newest = max(newest, r.ID)
			label := r.Version + " otlp"
			if o.env == "" {
				label = r.Version + " " + r.Env + " otlp"
			}
			x.labels[label] = true
			out = append(out, logLine{at: r.Time, label: label, text: otlpLine(r)})
		}
	}
	x.maxID, x.since = newest, time.Now().Add(-otlpGrace)
	slices.SortStableFunc(out, func(a, b logLine) int { return a.at.Compare(b.at) })
	return out, nil
}

// otlpLine renders a record as slog's text handler would have written it:
// time, level, the body as msg, the attributes (sorted), then the trace and
// span ids.
func otlpLine(r telemetry.LogRecord) string {
	var b strings.Builder
	rec := slog.NewRecord(r.Time.Local(), r.Level(), r.Body, 0)
	keys := make([]string, 0, len(r.Attrs))
	for k := range r.Attrs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		rec.AddAttrs(slog.String(k, r.Attrs[k]))
	}
	if r.TraceID != "" {
		rec.AddAttrs(slog.String("trace_id", r.TraceID), slog.String("span_id", r.SpanID))
	}
	slog.NewTextHandler(&b, nil).Handle(context.Background(), rec)
	return b.String()
}
