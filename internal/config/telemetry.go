package config

import (
	"fmt"
	"net/url"
)

// Telemetry says where the service's instances send their traces. Every instance
// is given OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES (service.version,
// deployment.environment.name) and OTEL_EXPORTER_OTLP_ENDPOINT, so any
// OpenTelemetry SDK names its version and environment and exports to the
// endpoint without code of Slipway's.
type Telemetry struct {
	// OTLPEndpoint is the OTLP/HTTP base URL of an OpenTelemetry Collector the
	// instances export to, e.g. http://otel-collector:4318 (the SDK appends
	// /v1/traces); Slipway then keeps no traces itself. Default: the control
	// plane's own receiver, which keeps them in the state directory for
	// slipway traces and incidents.
	OTLPEndpoint string `yaml:"otlp-endpoint" json:"otlp-endpoint,omitempty"`
}

func (t Telemetry) validate(ps *problems) {
	if t.OTLPEndpoint == "" {
		return
	}
	u, err := url.Parse(t.OTLPEndpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		ps.add("telemetry.otlp-endpoint", "%s", fmt.Sprintf("otlp-endpoint %q is not an http(s) URL: give the collector's OTLP/HTTP base URL, e.g. http://otel-collector:4318", t.OTLPEndpoint))
	}
}
