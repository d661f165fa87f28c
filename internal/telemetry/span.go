package telemetry

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Span is one kept span with what queries select on pulled out of its attributes.
type Span struct {
	TraceID  string `json:"trace_id"`
	SpanID   string `json:"span_id"`
	ParentID string `json:"parent_id,omitempty"`
	// Service, Env and Version come from the resource: service.name,
	// deployment.environment.name (or deployment.environment), service.version.
	Service string `json:"service"`
	Env     string `json:"env,omitempty"`
	Version string `json:"version,omitempty"`
	Name    string `json:"name"`
	// Kind is server, client, internal, producer or consumer.
	Kind string `json:"kind,omitempty"`
	// Request is true for a span that covers a request the service served: a
	// server span, or a span without parent.
	Request bool `json:"request"`
	// Route is "METHOD /route" from http.request.method and http.route; a server
	// span without them uses its name.
	Route string `json:"route,omitempty"`
	// Status is the HTTP response status, 0 when none was recorded.
	Status int `json:"status,omitempty"`
	// Error is an error status, or a request answered with a 5xx status.
	Error bool `json:"error"`
	// Message is the status message, or the last exception's message, or the HTTP
	// status of a failed request.
	Message string            `json:"message,omitempty"`
	Start   time.Time         `json:"start"`
	End     time.Time         `json:"end"`
	Attrs   map[string]string `json:"attributes,omitempty"`
	Events  []Event           `json:"events,omitempty"`
}

// Duration is how long the span lasted.
func (s Span) Duration() time.Duration { return s.End.Sub(s.Start) }

// Event is a span event.
type Event struct {
	Name  string            `json:"name"`
	Time  time.Time         `json:"time"`
	Attrs map[string]string `json:"attributes,omitempty"`
}

// Event names and attributes of the OpenTelemetry semantic conventions read here.
const (
	flagEvent       = "feature_flag.evaluation" // semantic conventions 1.32 on
	flagEventLegacy = "feature_flag"            // before
	exceptionEvent  = "exception"
)

// flagEval is one feature-flag evaluation recorded on a span.
type flagEval struct {
	Flag, Variant string
	Time          time.Time
}

// flags lists the feature-flag evaluations recorded as span events: the key in
// feature_flag.key, the variant in feature_flag.result.variant (formerly
// feature_flag.variant), else the value in feature_flag.result.value.
func (s Span) flags() []flagEval {
	var out []flagEval
	for _, e := range s.Events {
		if e.Name != flagEvent && e.Name != flagEventLegacy {
			continue
		}
		key := e.Attrs["feature_flag.key"]
		if key == "" {
			continue
		}
		v := first(e.Attrs, "feature_flag.result.variant", "feature_flag.variant", "feature_flag.result.value")
		out = append(out, flagEval{Flag: key, Variant: v, Time: e.Time})
	}
	return out
}

// identity is who sent a payload, from its resource: the service (OTel's
// unknown_service when unnamed), its environment (the current attribute, else
// the older deployment.environment) and version.
func identity(r pcommon.Resource) (service, env, version string) {
	res := attrMap(r.Attributes())
	service = res["service.name"]
	if service == "" {
		service = "unknown_service"
	}
	return service, first(res, "deployment.environment.name", "deployment.environment"), res["service.version"]
}

// spansOf flattens an OTLP trace payload into Spans.
func spansOf(td ptrace.Traces) []Span {
	var out []Span
	rss := td.ResourceSpans()
	for i := range rss.Len() {
		rs := rss.At(i)
		service, env, version := identity(rs.Resource())
		sss := rs.ScopeSpans()
		for j := range sss.Len() {
			spans := sss.At(j).Spans()
			for k := range spans.Len() {
				out = append(out, spanOf(spans.At(k), service, env, version))
			}
		}
	}
	return out
}

func spanOf(p ptrace.Span, service, env, version string) Span {
	s := Span{
		TraceID: p.TraceID().String(), SpanID: p.SpanID().String(),
		Service: service, Env: env, Version: version, Name: p.Name(),
		Kind:  strings.ToLower(strings.TrimPrefix(p.Kind().String(), "SPAN_KIND_")),
		Start: p.StartTimestamp().AsTime(), End: p.EndTimestamp().AsTime(),
		Attrs: attrMap(p.Attributes()),
	}
	if s.Kind == "unspecified" {
		s.Kind = ""
	}
	if !p.ParentSpanID().IsEmpty() {
		s.ParentID = p.ParentSpanID().String()
	}
	evs := p.Events()
	for i := range evs.Len() {
		e := evs.At(i)
		s.Events = append(s.Events, Event{Name: e.Name(), Time: e.Timestamp().AsTime(), Attrs: attrMap(e.Attributes())})
	}
	s.Request = p.Kind() == ptrace.SpanKindServer || s.ParentID == ""
	if st := first(s.Attrs, "http.response.status_code", "http.status_code"); st != "" {
		s.Status, _ = strconv.Atoi(st)
	}
	if route := s.Attrs["http.route"]; route != "" {
		if m := first(s.Attrs, "http.request.method", "http.method"); m != "" && !strings.HasPrefix(route, m+" ") {
			route = m + " " + route
		}
		s.Route = route
	} else if s.Request {
		s.Route = s.Name
	}
	s.Error = p.Status().Code() == ptrace.StatusCodeError || s.Request && s.Status >= 500
	if s.Error {
		s.Message = p.Status().Message()
		for _, e := range s.Events {
			if e.Name == exceptionEvent && e.Attrs["exception.message"] != "" && s.Message == "" {
				s.Message = e.Attrs["exception.message"]
			}
		}
		if s.Message == "" && s.Status >= 500 {
			s.Message = fmt.Sprintf("HTTP %d", s.Status)
		}
	}
	return s
}

// attrMap turns attributes into strings (arrays and maps as JSON).
func attrMap(m pcommon.Map) map[string]string {
	if m.Len() == 0 {
		return nil
	}
	out := make(map[string]string, m.Len())
	m.Range(func(k string, v pcommon.Value) bool {
		out[k] = v.AsString()
		return true
	})
	return out
}

// first returns the value of the first of keys set in m.
func first(m map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := m[k]; v != "" {
			return v
		}
	}
	return ""
}
