package observability

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/open-feature/go-sdk/openfeature"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestParseFlags(t *testing.T) {
	p, err := ParseFlags(" contract-rule-validation=off, beta=on ,")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		flag, variant string
		def, want     bool
		reason        openfeature.Reason
	}{
		{"contract-rule-validation", "off", true, false, openfeature.StaticReason},
		{"beta", "on", false, true, openfeature.StaticReason},
		{"unset", "on", true, true, openfeature.DefaultReason},
	}
	for _, tt := range tests {
		got := p.BooleanEvaluation(ctx, tt.flag, tt.def, nil)
		if got.Value != tt.want || got.Variant != tt.variant || got.Reason != tt.reason {
			t.Errorf("BooleanEvaluation(%s) = %v %s %s, want %v %s %s", tt.flag, got.Value, got.Variant, got.Reason, tt.want, tt.variant, tt.reason)
		}
	}
	for _, bad := range []string{"x", "x=maybe"} {
		if _, err := ParseFlags(bad); err == nil {
			t.Errorf("ParseFlags(%q) accepted it", bad)
		}
	}
}

// TestEvaluationsOnTheSpan evaluates a flag inside a span and finds the
// feature_flag.evaluation event on it, and the span's ids in the log line
// written with the same context.
func TestEvaluationsOnTheSpan(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	p, _ := ParseFlags("contract-rule-validation=off")
	if err := openfeature.SetProviderAndWait(p); err != nil {
		t.Fatal(err)
	}
	client := openfeature.NewClient("test")
	client.AddHooks(SpanHook{})
	var buf bytes.Buffer
	log := slog.New(WithTraceIDs(slog.NewJSONHandler(&buf, nil))).With("service", "contract-api")

	ctx, span := tp.Tracer("test").Start(context.Background(), "POST /v1/contracts/validate")
	on, err := client.BooleanValue(ctx, "contract-rule-validation", true, openfeature.NewEvaluationContext("CUST-3", nil))
	log.ErrorContext(ctx, "panic serving request")
	span.End()
	if err != nil || on {
		t.Fatalf("BooleanValue = %v, %v; want off", on, err)
	}
	ended := rec.Ended()
	if len(ended) != 1 || len(ended[0].Events()) != 1 {
		t.Fatalf("recorded %d spans, want one with one event", len(ended))
	}
	ev := ended[0].Events()[0]
	attrs := map[string]string{}
	for _, a := range ev.Attributes {
		attrs[string(a.Key)] = a.Value.Emit()
	}
	if ev.Name != "feature_flag.evaluation" || attrs["feature_flag.key"] != "contract-rule-validation" ||
		attrs["feature_flag.result.variant"] != "off" || attrs["feature_flag.provider.name"] != "env" {
		t.Errorf("event %s %v, want feature_flag.evaluation of contract-rule-validation, variant off, by provider env", ev.Name, attrs)
	}
	var line map[string]any
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatal(err)
	}
	if line["trace_id"] != span.SpanContext().TraceID().String() || line["span_id"] != span.SpanContext().SpanID().String() ||
		line["level"] != "ERROR" || line["service"] != "contract-api" {
		t.Errorf("log line = %s, want the span's trace_id and span_id", buf.Bytes())
	}
}
