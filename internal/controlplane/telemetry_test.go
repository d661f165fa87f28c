package controlplane

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/runtime"
	"github.com/slipway/slipway/internal/telemetry"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlplog/otlploghttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	otellog "go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// specRecorder records the Specs it is asked to start.
type specRecorder struct {
	runtime.Target
	got []runtime.Spec
}

func (r *specRecorder) Start(_ context.Context, s runtime.Spec) (runtime.Instance, error) {
	r.got = append(r.got, s)
	return runtime.Instance{}, nil
}

// serveTestAPI serves a control plane API listener for data, keeping traces as
// opts say, until the test ends; ctx ends with it.
func serveTestAPI(t *testing.T, data string, opts telemetry.Options) (context.Context, *API, *slog.Logger) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := listenAPI(data, "", log)
	if err != nil {
		t.Fatal(err)
	}
	a.traces = opts
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.serve(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return ctx, a, log
}

// instanceEnvs opens a plane per service on one API listener and starts one
// instance of 1.12.0 in prod through each deployer's target: the environments
// the instances got, in the order of services.
func instanceEnvs(t *testing.T, ctx context.Context, data string, a *API, log *slog.Logger, services ...string) [][]string {
	t.Helper()
	var envs [][]string
	for _, name := range services {
		rec := &specRecorder{}
		p := &Plane{Data: data, Config: &config.Config{Service: name}, api: a}
		p.Deployer = &deploy.Deployer{Target: rec}
		p.serveTelemetry(ctx, log)
		if _, err := p.Deployer.Target.Start(ctx, runtime.Spec{Service: name, Env: "prod", Version: "1.12.0", Environ: []string{"A=1"}}); err != nil {
			t.Fatal(err)
		}
		envs = append(envs, rec.got[0].Environ)
	}
	return envs
}

// sdkEnv sets the test's environment to an instance's OTEL_* variables and returns
// the resource an SDK reads from it.
func sdkEnv(t *testing.T, ctx context.Context, env []string) *resource.Resource {
	t.Helper()
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "OTEL_") {
			t.Setenv(k, v)
		}
	}
	res, err := resource.New(ctx, resource.WithFromEnv())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// TestTelemetryReceivesWhatInstancesAreToldToSend gives two services one API
// listener, starts an instance through the deployer's target and exports a span
// with the OpenTelemetry SDK configured from nothing but the environment the
// instance got: it lands in <data>/traces.db under its service, environment and
// version.
func TestTelemetryReceivesWhatInstancesAreToldToSend(t *testing.T) {
	data := t.TempDir()
	ctx, a, log := serveTestAPI(t, data, telemetry.Options{})

	env := instanceEnvs(t, ctx, data, a, log, "contract-api", "quote-api")[0]
	want := []string{"OTEL_SERVICE_NAME=contract-api",
		"OTEL_RESOURCE_ATTRIBUTES=service.version=1.12.0,deployment.environment.name=prod",
		"OTEL_EXPORTER_OTLP_ENDPOINT=" + a.URL(), "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf", "OTEL_BSP_SCHEDULE_DELAY=1000", "A=1"}
	if !slices.Equal(env, want) {
		t.Fatalf("instance environment = %q, want %q", env, want)
	}

	// What an SDK does with that environment.
	res := sdkEnv(t, ctx, env)
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(res))
	_, span := tp.Tracer("test").Start(ctx, "GET /healthz", trace.WithSpanKind(trace.SpanKindServer))
	span.End()
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatalf("export to the control plane: %v", err)
	}
	st, err := telemetry.OpenReadOnly(ctx, filepath.Join(data, telemetry.File))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Requests(ctx, telemetry.Filter{Service: "contract-api", Env: "prod", Version: "1.12.0"})
	if err != nil || len(got) != 1 || got[0].Route != "GET /healthz" {
		t.Errorf("kept requests = %+v, %v; want the exported span", got, err)
	}
}

// TestTelemetryReceivesLogsInstancesExport: an instance whose OpenTelemetry SDK
// exports logs, configured from nothing but the environment it got, lands them
// in <data>/traces.db beside its traces; the second service sharing the API
// listener uses the same receiver.
func TestTelemetryReceivesLogsInstancesExport(t *testing.T) {
	data := t.TempDir()
	ctx, a, log := serveTestAPI(t, data, telemetry.Options{})
	res := sdkEnv(t, ctx, instanceEnvs(t, ctx, data, a, log, "contract-api", "quote-api")[1])
	exp, err := otlploghttp.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(sdklog.NewSimpleProcessor(exp)), sdklog.WithResource(res))
	var r otellog.Record
	r.SetTimestamp(time.Now())
	r.SetSeverity(otellog.SeverityError)
	r.SetBody(attribute.StringValue("quote store unreachable"))
	lp.Logger("test").Emit(ctx, r)
	if err := lp.Shutdown(ctx); err != nil {
		t.Fatalf("export logs to the control plane: %v", err)
	}
	st, err := telemetry.OpenReadOnly(ctx, filepath.Join(data, telemetry.File))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Logs(ctx, telemetry.LogFilter{Service: "quote-api", Env: "prod", Version: "1.12.0", MinSeverity: 17})
	if err != nil || len(got) != 1 || got[0].Body != "quote store unreachable" {
		t.Errorf("kept log records = %+v, %v; want the exported error", got, err)
	}
}

func TestTelemetryToACollector(t *testing.T) {
	rec := &specRecorder{}
	p := &Plane{Data: t.TempDir(), Config: &config.Config{Service: "contract-api",
		Telemetry: config.Telemetry{OTLPEndpoint: "http://otel-collector:4318"}}}
	p.Deployer = &deploy.Deployer{Target: rec}
	p.serveTelemetry(context.Background(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	p.Deployer.Target.Start(context.Background(), runtime.Spec{Service: "contract-api", Env: "staging", Version: "2.0.0"})
	env := rec.got[0].Environ
	if !slices.Contains(env, "OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318") || slices.Contains(env, "OTEL_BSP_SCHEDULE_DELAY=1000") {
		t.Errorf("instance environment = %q, want the collector's endpoint and the SDK's own batching", env)
	}
}

// TestTraceRetention: the receiver keeps what slipway up --trace-retention says.
func TestTraceRetention(t *testing.T) {
	data := t.TempDir()
	ctx, a, log := serveTestAPI(t, data, telemetry.Options{MaxAge: time.Hour})
	p := &Plane{Data: data, Config: &config.Config{Service: "contract-api"}, api: a}
	p.Deployer = &deploy.Deployer{Target: &specRecorder{}}
	p.serveTelemetry(ctx, log)

	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(a.URL()+telemetry.TracesPath))
	if err != nil {
		t.Fatal(err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", "contract-api"), attribute.String("service.version", "1.12.0"),
		attribute.String("deployment.environment.name", "prod"))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp), sdktrace.WithResource(res))
	for _, age := range []time.Duration{2 * time.Hour, time.Minute} {
		_, span := tp.Tracer("test").Start(ctx, "POST /v1/contracts/validate", trace.WithSpanKind(trace.SpanKindServer),
			trace.WithTimestamp(time.Now().Add(-age)))
		span.End(trace.WithTimestamp(time.Now().Add(-age + time.Millisecond)))
	}
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatalf("export to the control plane: %v", err)
	}
	st, err := telemetry.OpenReadOnly(ctx, filepath.Join(data, telemetry.File))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Requests(ctx, telemetry.Filter{Service: "contract-api"})
	if err != nil || len(got) != 1 || time.Since(got[0].Start) > time.Hour {
		t.Errorf("kept %+v, %v; want only the span younger than the hour kept", got, err)
	}
}
