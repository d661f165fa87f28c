package telemetry

import (
	"net/url"
	"strings"
)

// InstanceEnv is the environment an instance of service's version in env gets so
// that any OpenTelemetry SDK names it and sends its traces to endpoint (a base
// URL, "http://127.0.0.1:7480"; the SDK appends /v1/traces) over OTLP/HTTP with
// protobuf. With endpoint empty the instance is still named but exports nothing
// unless it configures an exporter itself.
func InstanceEnv(endpoint, service, env, version string) []string {
	out := []string{
		"OTEL_SERVICE_NAME=" + service,
		"OTEL_RESOURCE_ATTRIBUTES=" + resourceAttr("service.version", version) + "," + resourceAttr("deployment.environment.name", env),
	}
	if endpoint != "" {
		out = append(out, "OTEL_EXPORTER_OTLP_ENDPOINT="+strings.TrimRight(endpoint, "/"), "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf")
	}
	return out
}

// resourceAttr renders key=value for OTEL_RESOURCE_ATTRIBUTES, whose values are
// percent-encoded (W3C Baggage octets).
func resourceAttr(key, value string) string {
	return key + "=" + strings.ReplaceAll(url.QueryEscape(value), "+", "%20")
}
