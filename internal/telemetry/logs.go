package telemetry

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// LogsPath is where OTLP/HTTP exporters send logs.
const LogsPath = "/v1/logs"

// LogReceiver is an OTLP/HTTP logs receiver: POST /v1/logs with an
// ExportLogsServiceRequest, answered like a [Receiver] answers traces (same
// encodings, limits, status codes and error bodies).
type LogReceiver struct {
	// Store keeps what arrives.
	Store interface {
		AddLogs(ctx context.Context, logs []LogRecord) error
	}
	// Log receives one line per refused or failed export; may be nil.
	Log *slog.Logger
	// MaxBody bounds the uncompressed body; default DefaultMaxBody.
	MaxBody int64
}

func (rc *LogReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	serveExport(w, r, "logs", rc.Log, rc.MaxBody, rc.keep)
}

// keep decodes an ExportLogsServiceRequest and keeps its records.
func (rc *LogReceiver) keep(ctx context.Context, body []byte, isJSON bool) error {
	req := plogotlp.NewExportRequest()
	unmarshal := req.UnmarshalProto
	if isJSON {
		unmarshal = req.UnmarshalJSON
	}
	if err := unmarshal(body); err != nil {
		return decodeError("ExportLogsServiceRequest", err)
	}
	return rc.Store.AddLogs(ctx, logsOf(req.Logs(), time.Now()))
}

// LogRecord is one kept log record.
type LogRecord struct {
	// ID is the record's row: it grows in the order records arrived.
	ID int64 `json:"-"`
	// Time is when the event happened (TimeUnixNano), else when it was observed
	// (ObservedTimeUnixNano), else when it arrived.
	Time time.Time `json:"time"`
	// Service, Env and Version come from the resource, as a [Span]'s do.
	Service string `json:"service"`
	Env     string `json:"env,omitempty"`
	Version string `json:"version,omitempty"`
	// Severity is the OTLP severity number (1-4 trace, 5-8 debug, 9-12 info,
	// 13-16 warn, 17-20 error, 21-24 fatal); when the exporter sent none, the one
	// SeverityText names ([SeverityNumber]), else 0.
	Severity     int    `json:"severity,omitempty"`
	SeverityText string `json:"severity_text,omitempty"`
	// Body is a string body as is, any other as text (maps and arrays as JSON).
	Body string `json:"body"`
	// TraceID and SpanID are hex, empty when the record names no span.
	TraceID string            `json:"trace_id,omitempty"`
	SpanID  string            `json:"span_id,omitempty"`
	Attrs   map[string]string `json:"attributes,omitempty"`
}

// Level is the record's severity on slog's scale, where the OTLP severity
// numbers map one to one (slog.LevelInfo is 9, LevelError 17, and so on). A
// record without severity is info.
func (l LogRecord) Level() slog.Level {
	if l.Severity <= 0 {
		return slog.LevelInfo
	}
	return slog.Level(l.Severity - 9)
}

// logsOf flattens an OTLP logs payload into LogRecords; now stands in for a
// record that carries no time at all.
func logsOf(ld plog.Logs, now time.Time) []LogRecord {
	var out []LogRecord
	rls := ld.ResourceLogs()
	for i := range rls.Len() {
		rl := rls.At(i)
		service, env, version := identity(rl.Resource())
		sls := rl.ScopeLogs()
		for j := range sls.Len() {
			lrs := sls.At(j).LogRecords()
			for k := range lrs.Len() {
				out = append(out, logOf(lrs.At(k), service, env, version, now))
			}
		}
	}
	return out
}

func logOf(p plog.LogRecord, service, env, version string, now time.Time) LogRecord {
	l := LogRecord{Service: service, Env: env, Version: version, Time: now,
		Severity: int(p.SeverityNumber()), SeverityText: p.SeverityText(),
		Body: p.Body().AsString(), Attrs: attrMap(p.Attributes())}
	if ts := p.Timestamp(); ts != 0 {
		l.Time = ts.AsTime()
	} else if ts := p.ObservedTimestamp(); ts != 0 {
		l.Time = ts.AsTime()
	}
	if l.Severity == 0 {
		l.Severity = SeverityNumber(l.SeverityText)
	}
	if !p.TraceID().IsEmpty() {
		l.TraceID = p.TraceID().String()
	}
	if !p.SpanID().IsEmpty() {
		l.SpanID = p.SpanID().String()
	}
	return l
}
