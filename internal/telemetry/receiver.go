package telemetry

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"google.golang.org/protobuf/encoding/protowire"
)

// TracesPath is where OTLP/HTTP exporters send traces.
const TracesPath = "/v1/traces"

// DefaultMaxBody bounds a request's (uncompressed) body.
const DefaultMaxBody = 16 << 20

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

// exportError is an error with its HTTP and google.rpc status codes.
type exportError struct {
	http int
	rpc  int // google.rpc.Code: 3 INVALID_ARGUMENT, 13 INTERNAL, ...
	msg  string
}

func (e *exportError) Error() string { return e.msg }

func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	err := rc.export(r, ct)
	if err == nil {
		if ct == "application/json" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, "{}")
			return
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK) // an empty ExportTraceServiceResponse encodes as no bytes
		return
	}
	var ee *exportError
	if !errors.As(err, &ee) {
		ee = &exportError{http: http.StatusInternalServerError, rpc: 13, msg: err.Error()}
	}
	if rc.Log != nil {
		rc.Log.Warn("OTLP traces refused", "remote", r.RemoteAddr, "status", ee.http, "err", ee.msg)
	}
	if ct == "application/json" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(ee.http)
		json.NewEncoder(w).Encode(map[string]any{"code": ee.rpc, "message": ee.msg})
		return
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
	w.WriteHeader(ee.http)
	b := protowire.AppendTag(nil, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(ee.rpc))
	b = protowire.AppendTag(b, 2, protowire.BytesType)
	w.Write(protowire.AppendString(b, ee.msg))
}

// export decodes the request and keeps its spans.
func (rc *Receiver) export(r *http.Request, ct string) error {
	var un ptrace.Unmarshaler
	switch ct {
	case "application/x-protobuf":
		un = &ptrace.ProtoUnmarshaler{}
	case "application/json":
		un = &ptrace.JSONUnmarshaler{}
	default:
		return &exportError{http.StatusUnsupportedMediaType, 3,
			fmt.Sprintf("content type %q: send application/x-protobuf or application/json", r.Header.Get("Content-Type"))}
	}
	max := rc.MaxBody
	if max <= 0 {
		max = DefaultMaxBody
	}
	var body io.Reader = http.MaxBytesReader(nil, r.Body, max)
	switch enc := r.Header.Get("Content-Encoding"); enc {
	case "", "identity":
	case "gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return &exportError{http.StatusBadRequest, 3, "gzip body: " + err.Error()}
		}
		defer zr.Close()
		body = zr
	default:
		return &exportError{http.StatusUnsupportedMediaType, 3, fmt.Sprintf("content encoding %q: send gzip or none", enc)}
	}
	b, err := io.ReadAll(io.LimitReader(body, max+1))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || int64(len(b)) > max {
		return &exportError{http.StatusRequestEntityTooLarge, 8, fmt.Sprintf("body is larger than %d bytes: export smaller batches", max)}
	}
	if err != nil {
		return &exportError{http.StatusBadRequest, 3, "read body: " + err.Error()}
	}
	td, err := un.UnmarshalTraces(b)
	if err != nil {
		return &exportError{http.StatusBadRequest, 3, "decode ExportTraceServiceRequest: " + err.Error()}
	}
	if err := rc.Store.Add(r.Context(), spansOf(td)); err != nil {
		return &exportError{http.StatusServiceUnavailable, 14, err.Error()}
	}
	return nil
}
