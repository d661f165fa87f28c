package controlplane

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/slipway/slipway/internal/runtime"
	"github.com/slipway/slipway/internal/telemetry"
)

// batchDelay is how often instances export spans to the embedded receiver
// (OTEL_BSP_SCHEDULE_DELAY, milliseconds; the SDKs' default is 5000): a failure
// reaches the incident while the rollout that shipped it is still being judged.
const batchDelay = "1000"

// serveTelemetry makes every instance the plane starts from now on an
// OpenTelemetry-named one (service, version, environment) that exports its traces
// (and logs, when they export them over OTLP) to telemetry.otlp-endpoint when
// slipway.yaml sets one, else to the control plane's own OTLP receivers. Those,
// registered once per control plane on its API listener, keep traces and logs in
// <data>/traces.db until ctx ends. A receiver that cannot open its database is
// logged and the instances still get named.
func (p *Plane) serveTelemetry(ctx context.Context, log *slog.Logger) {
	if p.api != nil {
		if err := p.keepTraces(ctx); err != nil {
			log.Warn("traces will not be kept", "service", p.Config.Service, "err", err)
		}
	}
	p.Deployer.Target = namedTarget{Target: p.Deployer.Target, plane: p}
}

// keepTraces registers the OTLP trace and log receivers, over one store, on the
// API listener, unless another service of this control plane did.
func (p *Plane) keepTraces(ctx context.Context) error {
	st, err := telemetry.Open(ctx, filepath.Join(p.Data, telemetry.File), p.api.traces)
	if err != nil {
		return err
	}
	if err := p.Handle("POST "+telemetry.TracesPath, &telemetry.Receiver{Store: st, Log: p.api.log}); err != nil {
		st.Close() // registered already by another service: one receiver serves them all
		return nil
	}
	context.AfterFunc(ctx, func() { st.Close() })
	if err := p.Handle("POST "+telemetry.LogsPath, &telemetry.LogReceiver{Store: st, Log: p.api.log}); err != nil {
		return fmt.Errorf("OTLP logs will not be kept (traces are): %w", err)
	}
	return nil
}

// otlpEnv is the telemetry environment of one instance.
func (p *Plane) otlpEnv(s runtime.Spec) []string {
	endpoint := p.config().Telemetry.OTLPEndpoint
	if endpoint != "" {
		return telemetry.InstanceEnv(endpoint, s.Service, s.Env, s.Version)
	}
	if p.api == nil {
		return telemetry.InstanceEnv("", s.Service, s.Env, s.Version)
	}
	return append(telemetry.InstanceEnv(p.api.URL(), s.Service, s.Env, s.Version), "OTEL_BSP_SCHEDULE_DELAY="+batchDelay)
}

// namedTarget adds the telemetry environment to every instance it starts.
type namedTarget struct {
	runtime.Target
	plane *Plane
}

func (t namedTarget) Start(ctx context.Context, s runtime.Spec) (runtime.Instance, error) {
	s.Environ = append(t.plane.otlpEnv(s), s.Environ...)
	return t.Target.Start(ctx, s)
}
