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

	"google.golang.org/protobuf/encoding/protowire"
)

// DefaultMaxBody bounds a request's (uncompressed) body.
const DefaultMaxBody = 16 << 20

// exportError is an error with its HTTP and google.rpc status codes.
type exportError struct {
	http int
	rpc  int // google.rpc.Code: 3 INVALID_ARGUMENT, 13 INTERNAL, ...
	msg  string
}

func (e *exportError) Error() string { return e.msg }

// keepFunc decodes an export request's body, JSON or binary protobuf, and keeps
// what it carries. A decoding error is a 400, any other error a 503.
type keepFunc func(ctx context.Context, body []byte, isJSON bool) error

// decodeError marks err as the request's fault: what decoding which message failed.
func decodeError(message string, err error) error {
	return &exportError{http.StatusBadRequest, 3, "decode " + message + ": " + err.Error()}
}

// serveExport answers one OTLP/HTTP export of signal ("traces", "logs") as the
// specification says: 200 with an empty response message in the request's
// encoding, or 400, 413, 415 or 503 with a google.rpc.Status body.
func serveExport(w http.ResponseWriter, r *http.Request, signal string, log *slog.Logger, maxBody int64, keep keepFunc) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	err := export(r, ct, maxBody, keep)
	if err == nil {
		if ct == "application/json" {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, "{}")
			return
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.WriteHeader(http.StatusOK) // an empty Export*ServiceResponse encodes as no bytes
		return
	}
	var ee *exportError
	if !errors.As(err, &ee) {
		ee = &exportError{http: http.StatusServiceUnavailable, rpc: 14, msg: err.Error()}
	}
	if log != nil {
		log.Warn("OTLP "+signal+" refused", "remote", r.RemoteAddr, "status", ee.http, "err", ee.msg)
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

// export reads the request's body, bounded by max once uncompressed, and hands
// it to keep.
func export(r *http.Request, ct string, max int64, keep keepFunc) error {
	if ct != "application/x-protobuf" && ct != "application/json" {
		return &exportError{http.StatusUnsupportedMediaType, 3,
			fmt.Sprintf("content type %q: send application/x-protobuf or application/json", r.Header.Get("Content-Type"))}
	}
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
	return keep(r.Context(), b, ct == "application/json")
}
