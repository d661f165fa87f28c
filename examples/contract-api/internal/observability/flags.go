package observability

import (
	"context"
	"fmt"
	"strings"

	"github.com/open-feature/go-sdk/openfeature"
	oftelemetry "github.com/open-feature/go-sdk/openfeature/telemetry"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// FlagsEnv names the variable that switches boolean flags:
// FEATURE_FLAGS="contract-rule-validation=off,other=on".
const FlagsEnv = "FEATURE_FLAGS"

// Flags installs the OpenFeature provider that reads FlagsEnv through getenv, and
// the hook that records every evaluation on the current span.
func Flags(getenv func(string) string) error {
	p, err := ParseFlags(getenv(FlagsEnv))
	if err != nil {
		return err
	}
	openfeature.AddHooks(SpanHook{})
	return openfeature.SetProviderAndWait(p)
}

// EnvProvider is an OpenFeature provider of boolean flags set by configuration:
// a flag it names resolves to its setting (reason STATIC), any other to the
// default the code gives (reason DEFAULT). Variants are "on" and "off".
type EnvProvider struct {
	openfeature.NoopProvider
	flags map[string]bool
}

var _ openfeature.FeatureProvider = (*EnvProvider)(nil)

// ParseFlags reads "key=on,key2=off" (on/off, true/false, 1/0).
func ParseFlags(s string) (*EnvProvider, error) {
	p := &EnvProvider{flags: map[string]bool{}}
	for _, kv := range strings.Split(s, ",") {
		kv = strings.TrimSpace(kv)
		if kv == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "on", "true", "1":
			p.flags[strings.TrimSpace(k)] = true
		case "off", "false", "0":
			p.flags[strings.TrimSpace(k)] = false
		default:
			ok = false
		}
		if !ok {
			return nil, fmt.Errorf("%s: %q is not key=on or key=off", FlagsEnv, kv)
		}
	}
	return p, nil
}

func (p *EnvProvider) Metadata() openfeature.Metadata { return openfeature.Metadata{Name: "env"} }

func (p *EnvProvider) BooleanEvaluation(_ context.Context, flag string, def bool, _ openfeature.FlattenedContext) openfeature.BoolResolutionDetail {
	v, set := p.flags[flag]
	reason := openfeature.StaticReason
	if !set {
		v, reason = def, openfeature.DefaultReason
	}
	variant := "off"
	if v {
		variant = "on"
	}
	return openfeature.BoolResolutionDetail{Value: v,
		ProviderResolutionDetail: openfeature.ProviderResolutionDetail{Reason: reason, Variant: variant}}
}

// SpanHook records each flag evaluation as a feature_flag.evaluation event
// (OpenTelemetry semantic conventions for feature flags) on the span of the
// context it was evaluated with.
type SpanHook struct{ openfeature.UnimplementedHook }

func (SpanHook) Finally(ctx context.Context, hc openfeature.HookContext, d openfeature.InterfaceEvaluationDetails, _ openfeature.HookHints) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	ev := oftelemetry.CreateEvaluationEvent(hc, d)
	attrs := make([]attribute.KeyValue, 0, len(ev.Attributes))
	for k, v := range ev.Attributes {
		attrs = append(attrs, attribute.String(k, fmt.Sprint(v)))
	}
	span.AddEvent(ev.Name, trace.WithAttributes(attrs...))
}
