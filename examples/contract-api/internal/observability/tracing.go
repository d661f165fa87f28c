// Package observability wires contract-api to OpenTelemetry and OpenFeature from
// the standard environment variables: traces exported over OTLP/HTTP when
// OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set,
// JSON logs that carry the trace and span ids of the request they describe, and
// feature flags whose every evaluation is recorded on the current span as a
// feature_flag.evaluation event.
package observability

import (
	"context"
	"log/slog"
	"os"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// Tracing installs the global tracer provider and propagator for service at
// version. OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the names.
// Spans are exported only when an OTLP endpoint is configured; without one they
// still give logs their trace ids. shutdown flushes what is left to export.
func Tracing(ctx context.Context, log *slog.Logger, service, version string) (shutdown func(context.Context) error, err error) {
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", service), attribute.String("service.version", version)),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, err
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	if exporting() {
		exp, err := otlptracehttp.New(ctx) // endpoint, headers, timeout: OTEL_EXPORTER_OTLP_*
		if err != nil {
			return nil, err
		}
		opts = append(opts, sdktrace.WithBatcher(exp)) // OTEL_BSP_* tune the batches
	}
	tp := sdktrace.NewTracerProvider(opts...)
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	// An unreachable collector is worth a warning, never an error line: the
	// service itself is fine.
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("telemetry", "err", err) }))
	return tp.Shutdown, nil
}

// exporting reports whether an OTLP endpoint for traces is configured.
func exporting() bool {
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}
