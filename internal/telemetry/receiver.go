package telemetry

import (
	"context"
	"log/slog"
	"net/http"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TracesPath is where OTLP/HTTP exporters send traces.
const TracesPath = "/v1/traces"

// Receiver is an OTLP/HTTP trace receiver: POST /v1/traces with an
// ExportTraceServiceRequest in binary protobuf (application/x-protobuf) or JSON
// (application/json), optionally gzip-compressed. It answers as the OTLP
// specification says: 200 with an empty ExportTraceServiceResponse in the
// request's encoding, or 400 (malformed), 413 (too large), 415 (another content
// type) or 503 (not kept: the exporter retries) with a google.rpc.Status body.
type Receiver struct {
	// Store keeps what arrives.
	Store interface {
		Add(ctx context.Context, spans []Span) error
	}
	// Log receives one line per refused or failed export; may be nil.
	Log *slog.Logger
	// MaxBody bounds the uncompressed body; default DefaultMaxBody.
	MaxBody int64
}

func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	serveExport(w, r, "traces", rc.Log, rc.MaxBody, rc.keep)
}

// keep decodes an ExportTraceServiceRequest and keeps its spans.
func (rc *Receiver) keep(ctx context.Context, body []byte, isJSON bool) error {
	var un ptrace.Unmarshaler = &ptrace.ProtoUnmarshaler{}
	if isJSON {
		un = &ptrace.JSONUnmarshaler{}
	}
	td, err := un.UnmarshalTraces(body)
	if err != nil {
		return decodeError("ExportTraceServiceRequest", err)
	}
	return rc.Store.Add(ctx, spansOf(td))
}
