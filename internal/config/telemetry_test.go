package config

import (
	"strings"
	"testing"
)

func TestTelemetryEndpoint(t *testing.T) {
	base := "service: a\nbuild: {main: ./cmd/a}\npipelines: {main: {steps: [{name: t, run: go test ./...}]}}\nenvironments: [{name: dev}]\n"
	tests := []struct{ yaml, want, wantErr string }{
		{base, "", ""},
		{base + "telemetry: {otlp-endpoint: http://otel-collector:4318}\n", "http://otel-collector:4318", ""},
		{base + "telemetry: {otlp-endpoint: otel-collector:4318}\n", "", `slipway.yaml:5:28: telemetry.otlp-endpoint: otlp-endpoint "otel-collector:4318" is not an http(s) URL`},
		{base + "telemetry: {endpoint: http://x:4318}\n", "", `slipway.yaml:5:13: telemetry.endpoint: unknown field "endpoint": valid fields are otlp-endpoint`},
	}
	for _, tt := range tests {
		c, err := Parse("slipway.yaml", []byte(tt.yaml))
		switch {
		case tt.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %v, want it to say %q", tt.yaml, err, tt.wantErr)
			}
		case err != nil:
			t.Errorf("Parse(%q): %v", tt.yaml, err)
		case c.Telemetry.OTLPEndpoint != tt.want:
			t.Errorf("Parse(%q) endpoint = %q, want %q", tt.yaml, c.Telemetry.OTLPEndpoint, tt.want)
		}
	}
}
