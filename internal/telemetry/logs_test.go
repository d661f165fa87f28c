package telemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	"go.opentelemetry.io/otel/trace"
)

// logStory exports, through the OpenTelemetry SDK's own OTLP/HTTP log exporter,
// what a version of contract-api logs: a request at info, then the panic it
// served at error inside a span, with a structured body and attributes.
func logStory(t *testing.T, endpoint, version string, at time.Time, gz bool) {
	t.Helper()
	ctx := context.Background()
	opts := []otlploghttp.Option{otlploghttp.WithEndpointURL(endpoint + LogsPath)}
	if gz {
		opts = append(opts, otlploghttp.WithCompression(otlploghttp.GzipCompression))
	}
	exp, err := otlploghttp.New(ctx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "contract-api"),
		attribute.String("service.version", version), attribute.String("deployment.environment.name", "prod"))
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)), sdklog.WithResource(res))
	lg := lp.Logger("test")

	var info otellog.Record
	info.SetTimestamp(at)
	info.SetSeverity(otellog.SeverityInfo)
	info.SetSeverityText("INFO")
	info.SetBody(attribute.StringValue("validating contract"))
	lg.Emit(ctx, info)

	sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{0x5b, 0x8e, 15: 0x0c},
		SpanID: trace.SpanID{0xee, 7: 0x74}, TraceFlags: trace.FlagsSampled})
	var fail otellog.Record
	fail.SetTimestamp(at.Add(time.Millisecond))
	fail.SetSeverity(otellog.SeverityError2)
	fail.SetBody(attribute.MapValue(attribute.String("msg", "validate panicked"), attribute.Int("rule", 7)))
	fail.AddAttributes(attribute.String("exception.type", "runtime.Error"))
	lg.Emit(trace.ContextWithSpanContext(ctx, sc), fail)
	if err := lp.Shutdown(ctx); err != nil {
		t.Fatalf("export logs to %s: %v", endpoint, err)
	}
}

func TestLogReceiverKeepsWhatTheSDKExports(t *testing.T) {
	st := openTest(t, Options{})
	srv := httptest.NewServer(&LogReceiver{Store: st})
	defer srv.Close()
	logStory(t, srv.URL, "1.11.4", t0, false)
	logStory(t, srv.URL, "1.12.0", t0.Add(time.Second), true) // gzip

	ctx := context.Background()
	got, err := st.Logs(ctx, LogFilter{Service: "contract-api", Env: "prod", Version: "1.12.0"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		got[i].ID = 0
	}
	want := []LogRecord{
		{Time: t0.Add(time.Second), Service: "contract-api", Env: "prod", Version: "1.12.0",
			Severity: 9, SeverityText: "INFO", Body: "validating contract"},
		{Time: t0.Add(time.Second + time.Millisecond), Service: "contract-api", Env: "prod", Version: "1.12.0",
			Severity: 18, Body: `{"msg":"validate panicked","rule":7}`,
			TraceID: "5b8e000000000000000000000000000c", SpanID: "ee00000000000074",
			Attrs: map[string]string{"exception.type": "runtime.Error"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("logs of 1.12.0 (-want +got):\n%s", diff)
	}
	errs, err := st.Logs(ctx, LogFilter{MinSeverity: 17})
	if err != nil || len(errs) != 2 || errs[0].Version != "1.11.4" || errs[1].Version != "1.12.0" || errs[1].Level().String() != "ERROR+1" {
		t.Errorf("error records = %+v, %v; want one per version, ERROR2 at slog's ERROR+1", errs, err)
	}
	if last, _ := st.Logs(ctx, LogFilter{Limit: 1}); len(last) != 1 || last[0].Version != "1.12.0" || last[0].Severity != 18 {
		t.Errorf("Logs with Limit 1 = %+v, want the newest record", last)
	}
	if since, _ := st.Logs(ctx, LogFilter{Since: t0.Add(time.Second + time.Millisecond)}); len(since) != 1 {
		t.Errorf("Logs since the last record = %+v, want it alone", since)
	}
}

// otlpLogsJSON is an ExportLogsServiceRequest in OTLP/JSON from an older SDK:
// deployment.environment, a severity by text alone, an observed time only, an
// array body.
const otlpLogsJSON = `{"resourceLogs":[{"resource":{"attributes":[
 {"key":"service.name","value":{"stringValue":"contract-api"}},
 {"key":"service.version","value":{"stringValue":"1.12.0"}},
 {"key":"deployment.environment","value":{"stringValue":"prod"}}]},
 "scopeLogs":[{"scope":{"name":"manual"},"logRecords":[{
  "observedTimeUnixNano":"1796112000000000000","severityText":"WARNING",
  "body":{"arrayValue":{"values":[{"stringValue":"retrying"},{"intValue":"3"}]}},
  "traceId":"","spanId":""}]}]}]}`

func TestLogReceiverJSON(t *testing.T) {
	st := openTest(t, Options{})
	srv := httptest.NewServer(&LogReceiver{Store: st})
	defer srv.Close()
	resp, err := http.Post(srv.URL+LogsPath, "application/json", strings.NewReader(otlpLogsJSON))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "{}" || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("POST JSON = %d %s %q, want 200 application/json {}", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	got, err := st.Logs(context.Background(), LogFilter{Env: "prod", Version: "1.12.0", MinSeverity: 13})
	if err != nil {
		t.Fatal(err)
	}
	want := LogRecord{Time: time.Unix(0, 1796112000000000000).UTC(), Service: "contract-api", Env: "prod", Version: "1.12.0",
		Severity: 13, SeverityText: "WARNING", Body: `["retrying",3]`}
	if len(got) != 1 || !cmp.Equal(want, got[0], cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "ID" }, cmp.Ignore())) {
		t.Fatalf("kept = %+v, want %+v", got, want)
	}
}

func TestLogRetention(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, Options{MaxAge: time.Hour, MaxLogs: 3, Now: func() time.Time { return t0 }})
	var recs []LogRecord
	for i := range 5 { // 20 minutes apart, the first written 1h20m before now
		recs = append(recs, LogRecord{Time: t0.Add(time.Duration(i-4)*20*time.Minute + time.Second), Service: "contract-api",
			Env: "prod", Version: "1.12.0", Severity: 9, Body: "tick " + string(rune('a'+i))})
	}
	if err := st.AddLogs(ctx, recs); err != nil { // the first Add prunes: a minute passed since never
		t.Fatal(err)
	}
	got, err := st.Logs(ctx, LogFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// The first record is older than the hour; of the four left the cap drops the oldest.
	if len(got) != 3 || got[0].Body != "tick c" || got[2].Body != "tick e" {
		t.Errorf("after pruning: %+v; want ticks c, d and e", got)
	}
	st.opt.MaxLogs = 1
	if err := st.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.Logs(ctx, LogFilter{}); len(got) != 1 || got[0].Body != "tick e" {
		t.Errorf("after capping at 1 record: %+v; want the newest", got)
	}
}

func TestSeverity(t *testing.T) {
	for _, tt := range []struct {
		text  string
		num   int
		level string
	}{
		{"TRACE", 1, "DEBUG-4"}, {"trace4", 4, "DEBUG-1"}, {"DEBUG", 5, "DEBUG"}, {"Debug3", 7, "DEBUG+2"},
		{"INFO", 9, "INFO"}, {"notice", 9, "INFO"}, {"WARN", 13, "WARN"}, {"warning", 13, "WARN"},
		{"ERROR", 17, "ERROR"}, {"err", 17, "ERROR"}, {"ERROR2", 18, "ERROR+1"}, {"FATAL", 21, "ERROR+4"},
		{"critical", 21, "ERROR+4"}, {"FATAL4", 24, "ERROR+7"}, {"", 0, "INFO"}, {"verbose", 0, "INFO"}, {"ERROR9", 0, "INFO"},
	} {
		n := SeverityNumber(tt.text)
		if l := (LogRecord{Severity: n}).Level().String(); n != tt.num || l != tt.level {
			t.Errorf("SeverityNumber(%q) = %d at level %s, want %d at %s", tt.text, n, l, tt.num, tt.level)
		}
	}
}
