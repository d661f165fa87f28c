package telemetry

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"google.golang.org/protobuf/encoding/protowire"
)

// openTest opens a trace database in a temporary directory.
func openTest(t *testing.T, o Options) *Store {
	t.Helper()
	st, err := Open(context.Background(), filepath.Join(t.TempDir(), File), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// story exports, through the OpenTelemetry SDK's own OTLP/HTTP exporter, what a
// version of contract-api does: n validate requests of which the legacy ones fail
// with a panic, each evaluating the contract-rule-validation flag, and a health
// check.
func story(t *testing.T, endpoint, version string, n, failEvery int, gz bool) {
	t.Helper()
	ctx := context.Background()
	opts := []otlptracehttp.Option{otlptracehttp.WithEndpointURL(endpoint + TracesPath)}
	if gz {
		opts = append(opts, otlptracehttp.WithCompression(otlptracehttp.GzipCompression))
	}
	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "contract-api"),
		attribute.String("service.version", version), attribute.String("deployment.environment.name", "prod"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(res))
	tr := tp.Tracer("test")
	for i := range n {
		ctx, req := tr.Start(ctx, "POST /v1/contracts/validate", trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", "POST"), attribute.String("http.route", "/v1/contracts/validate")))
		_, child := tr.Start(ctx, "domain.Validate")
		child.AddEvent("feature_flag.evaluation", trace.WithAttributes(attribute.String("feature_flag.key", "contract-rule-validation"),
			attribute.String("feature_flag.result.variant", "on")))
		child.End()
		status := 200
		if failEvery > 0 && i%failEvery == 0 {
			status = 500
			req.RecordError(errors.New("runtime error: invalid memory address or nil pointer dereference"))
			req.SetStatus(codes.Error, "")
		}
		req.SetAttributes(attribute.Int("http.response.status_code", status))
		req.End()
	}
	_, health := tr.Start(ctx, "GET /healthz", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("http.request.method", "GET"), attribute.String("http.route", "/healthz"),
			attribute.Int("http.response.status_code", 200)))
	health.End()
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatalf("export to %s: %v", endpoint, err)
	}
}

func TestReceiverKeepsWhatTheSDKExports(t *testing.T) {
	st := openTest(t, Options{})
	srv := httptest.NewServer(&Receiver{Store: st})
	defer srv.Close()
	story(t, srv.URL, "1.11.4", 6, 0, false)
	story(t, srv.URL, "1.12.0", 8, 4, true) // gzip, two of eight fail

	ctx := context.Background()
	failed, err := st.Requests(ctx, Filter{Service: "contract-api", Env: "prod", Version: "1.12.0", Errors: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(failed) != 2 {
		t.Fatalf("failed requests of 1.12.0 = %d, want 2: %+v", len(failed), failed)
	}
	f := failed[0]
	if f.Route != "POST /v1/contracts/validate" || f.Status != 500 || !f.Error ||
		f.Message != "runtime error: invalid memory address or nil pointer dereference" || len(f.TraceID) != 32 {
		t.Errorf("failed request = %+v, want the validate route, 500 and the panic's message", f)
	}
	if got, _ := st.Requests(ctx, Filter{Version: "1.11.4", Errors: true}); len(got) != 0 {
		t.Errorf("failed requests of 1.11.4 = %+v, want none", got)
	}
	if got, _ := st.Requests(ctx, Filter{Version: "1.12.0", Route: "/v1/contracts"}); len(got) != 8 {
		t.Errorf("requests of 1.12.0 under /v1/contracts = %d, want 8", len(got))
	}

	spans, err := st.Trace(ctx, f.TraceID[:12])
	if err != nil {
		t.Fatal(err)
	}
	roots := Tree(spans)
	if len(spans) != 2 || len(roots) != 1 || roots[0].Name != "POST /v1/contracts/validate" ||
		len(roots[0].Children) != 1 || roots[0].Children[0].Name != "domain.Validate" {
		t.Errorf("trace %s = %+v, want the request with domain.Validate under it", f.TraceID, spans)
	}

	routes, err := st.Routes(ctx, Filter{Service: "contract-api", Env: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	want := []RouteStat{{"POST /v1/contracts/validate", "1.12.0", 8, 2}, {"POST /v1/contracts/validate", "1.11.4", 6, 0},
		{"GET /healthz", "1.11.4", 1, 0}, {"GET /healthz", "1.12.0", 1, 0}}
	if !equalSlices(routes, want) {
		t.Errorf("Routes = %+v, want %+v", routes, want)
	}
	flags, err := st.Flags(ctx, Filter{Service: "contract-api", Env: "prod"})
	if err != nil {
		t.Fatal(err)
	}
	wantFlags := []FlagStat{{"contract-rule-validation", "on", "1.11.4", 6, 0}, {"contract-rule-validation", "on", "1.12.0", 8, 2}}
	if !equalSlices(flags, wantFlags) {
		t.Errorf("Flags = %+v, want %+v", flags, wantFlags)
	}
}

func equalSlices[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// otlpJSON is an ExportTraceServiceRequest in OTLP/JSON: hex ids, integer enums,
// nanosecond times as strings, lowerCamelCase keys.
const otlpJSON = `{"resourceSpans":[{"resource":{"attributes":[
 {"key":"service.name","value":{"stringValue":"contract-api"}},
 {"key":"service.version","value":{"stringValue":"1.12.0"}},
 {"key":"deployment.environment","value":{"stringValue":"prod"}}]},
 "scopeSpans":[{"scope":{"name":"manual"},"spans":[{
  "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
  "name":"POST /v1/contracts/validate","kind":2,
  "startTimeUnixNano":"1796112000000000000","endTimeUnixNano":"1796112000012000000",
  "attributes":[{"key":"http.method","value":{"stringValue":"POST"}},
   {"key":"http.route","value":{"stringValue":"/v1/contracts/validate"}},
   {"key":"http.status_code","value":{"intValue":"500"}}],
  "events":[{"timeUnixNano":"1796112000001000000","name":"feature_flag",
   "attributes":[{"key":"feature_flag.key","value":{"stringValue":"contract-rule-validation"}},
    {"key":"feature_flag.variant","value":{"stringValue":"on"}}]}],
  "status":{}}]}]}]}`

func TestReceiverJSON(t *testing.T) {
	st := openTest(t, Options{})
	srv := httptest.NewServer(&Receiver{Store: st})
	defer srv.Close()
	resp, err := http.Post(srv.URL+TracesPath, "application/json", strings.NewReader(otlpJSON))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "{}" || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("POST JSON = %d %s %q, want 200 application/json {}", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	got, err := st.Requests(context.Background(), Filter{Env: "prod", Version: "1.12.0", Errors: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].TraceID != "5b8efff798038103d269b633813fc60c" || got[0].Route != "POST /v1/contracts/validate" ||
		got[0].Message != "HTTP 500" || got[0].Duration() != 12*time.Millisecond {
		t.Fatalf("kept = %+v, want the failing request with its hex trace id, route and 12ms", got)
	}
	flags, _ := st.Flags(context.Background(), Filter{Version: "1.12.0"})
	if len(flags) != 1 || flags[0] != (FlagStat{"contract-rule-validation", "on", "1.12.0", 1, 1}) {
		t.Errorf("flags from the legacy feature_flag event = %+v", flags)
	}
}

// TestReceiverRefusesBadInput: both receivers refuse what is not an export,
// with the status and google.rpc.Status body OTLP specifies, and keep nothing.
func TestReceiverRefusesBadInput(t *testing.T) {
	st := openTest(t, Options{})
	mux := http.NewServeMux()
	mux.Handle(TracesPath, &Receiver{Store: st, MaxBody: 1 << 10})
	mux.Handle(LogsPath, &LogReceiver{Store: st, MaxBody: 1 << 10})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(bytes.Repeat([]byte{'x'}, 4<<10))
	zw.Close()
	tests := []struct {
		name, ct, enc string
		body          []byte
		code          int
	}{
		{"malformed protobuf", "application/x-protobuf", "", []byte{0x0a, 0xff, 0xff}, 400},
		{"malformed JSON", "application/json", "", []byte(`{"resourceSpans":[`), 400},
		{"unknown content type", "text/plain", "", []byte("hello"), 415},
		{"unknown encoding", "application/x-protobuf", "br", []byte{}, 415},
		{"not gzip", "application/x-protobuf", "gzip", []byte("plain"), 400},
		{"too large once uncompressed", "application/x-protobuf", "gzip", gz.Bytes(), 413},
	}
	for _, sig := range []struct{ path, message string }{{TracesPath, "ExportTraceServiceRequest"}, {LogsPath, "ExportLogsServiceRequest"}} {
		for _, tt := range tests {
			t.Run(sig.path+" "+tt.name, func(t *testing.T) {
				refused(t, srv.URL+sig.path, tt.ct, tt.enc, tt.body, tt.code, sig.message)
			})
		}
	}
	if got, _ := st.Requests(context.Background(), Filter{}); len(got) != 0 {
		t.Errorf("refused exports kept %d spans", len(got))
	}
	if got, _ := st.Logs(context.Background(), LogFilter{}); len(got) != 0 {
		t.Errorf("refused exports kept %d log records", len(got))
	}
}

// refused posts body to url and checks the answer is code with a
// google.rpc.Status body, in JSON one naming the message that failed to decode.
func refused(t *testing.T, url, ct, enc string, body []byte, code int, message string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", ct)
	if enc != "" {
		req.Header.Set("Content-Encoding", enc)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != code {
		t.Fatalf("status = %d (%q), want %d", resp.StatusCode, got, code)
	}
	if ct == "application/json" {
		if !strings.Contains(string(got), `"message":"decode `+message) {
			t.Errorf("JSON error body = %s, want a Status with the decode error", got)
		}
		return
	}
	// A google.rpc.Status: field 1 the code, field 2 the message.
	num, typ, n := protowire.ConsumeTag(got)
	if n < 0 || num != 1 || typ != protowire.VarintType {
		t.Fatalf("error body %x is not a google.rpc.Status", got)
	}
	_, m := protowire.ConsumeVarint(got[n:])
	num, _, k := protowire.ConsumeTag(got[n+m:])
	msg, _ := protowire.ConsumeString(got[n+m+k:])
	if num != 2 || msg == "" {
		t.Errorf("error body %x carries no message", got)
	}
}
