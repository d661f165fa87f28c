package telemetry

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slipway/slipway/internal/incident"
)

var t0 = time.Date(2026, 12, 1, 10, 8, 0, 0, time.UTC)

// request is a kept request span of contract-api in prod, with a child span and a
// flag evaluation.
func request(trace int, version string, at time.Time, status int) []Span {
	id := fmt.Sprintf("%032x", trace)
	root := Span{TraceID: id, SpanID: fmt.Sprintf("%016x", 2*trace), Service: "contract-api", Env: "prod", Version: version,
		Name: "POST /v1/contracts/validate", Kind: "server", Request: true, Route: "POST /v1/contracts/validate",
		Status: status, Error: status >= 500, Start: at, End: at.Add(12 * time.Millisecond)}
	if root.Error {
		root.Message = "runtime error: invalid memory address or nil pointer dereference"
	}
	child := Span{TraceID: id, SpanID: fmt.Sprintf("%016x", 2*trace+1), ParentID: root.SpanID, Service: "contract-api",
		Env: "prod", Version: version, Name: "domain.Validate", Kind: "internal", Start: at.Add(time.Millisecond),
		End: at.Add(3 * time.Millisecond), Events: []Event{{Name: flagEvent, Time: at.Add(time.Millisecond),
			Attrs: map[string]string{"feature_flag.key": "contract-rule-validation", "feature_flag.result.variant": "on"}}}}
	return []Span{root, child}
}

func TestRetention(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, Options{MaxAge: time.Hour, MaxSpans: 6, Now: func() time.Time { return t0 }})
	for i := range 5 { // an hour apart, the first started 1h59m before now
		if err := st.Add(ctx, request(i+1, "1.12.0", t0.Add(time.Duration(i-2)*time.Hour+time.Minute), 200)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	var spans, flags int
	st.db.QueryRow(`SELECT count(*) FROM spans`).Scan(&spans)
	st.db.QueryRow(`SELECT count(*) FROM flags`).Scan(&flags)
	// The first request is older than an hour; of the eight spans left the cap
	// drops the oldest request's two.
	if spans != 6 || flags != 3 {
		t.Errorf("after pruning: %d spans, %d flag rows; want 6 and 3 (their flags go with them)", spans, flags)
	}
	st.opt.MaxSpans = 2
	if err := st.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := st.Requests(ctx, Filter{})
	if len(got) != 1 || got[0].TraceID != fmt.Sprintf("%032x", 5) {
		t.Errorf("after capping at 2 spans the newest request stays; got %+v", got)
	}
}

func TestReplacingASpanKeepsOneRow(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, Options{})
	for range 2 {
		if err := st.Add(ctx, request(1, "1.12.0", t0, 500)); err != nil {
			t.Fatal(err)
		}
	}
	flags, err := st.Flags(ctx, Filter{})
	if err != nil || len(flags) != 1 || flags[0].Requests != 1 {
		t.Errorf("Flags after sending a span twice = %+v, %v; want one request", flags, err)
	}
}

func TestInvestigate(t *testing.T) {
	ctx := context.Background()
	st := openTest(t, Options{})
	for i := range 20 {
		status := 200
		if i%5 == 3 {
			status = 500
		}
		st.Add(ctx, request(100+i, "1.12.0", t0.Add(time.Duration(i)*100*time.Millisecond), status))
		st.Add(ctx, request(200+i, "1.11.4", t0.Add(time.Duration(i)*100*time.Millisecond), 200))
	}
	ev, ok, err := st.Investigate(ctx, "contract-api", "prod", "1.12.0", t0, t0.Add(time.Minute))
	if err != nil || !ok {
		t.Fatalf("Investigate = %v, %v", ok, err)
	}
	want := incident.Evidence{Route: "POST /v1/contracts/validate", Requests: 20, Errors: 4,
		TraceID: fmt.Sprintf("%032x", 103), Error: "runtime error: invalid memory address or nil pointer dereference",
		Spans: []string{"POST /v1/contracts/validate (12ms)", "domain.Validate (2ms)"},
		Flags: []incident.FlagCorrelation{{Flag: "contract-rule-validation", Variant: "on", Requests: 20, Errors: 4}}}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("Investigate 1.12.0 (-want +got):\n%s", diff)
	}
	if _, ok, err := st.Investigate(ctx, "contract-api", "prod", "1.12.1", t0, t0.Add(time.Minute)); ok || err != nil {
		t.Errorf("Investigate of a version never seen = %v, %v; want not ok", ok, err)
	}
	if _, ok, _ := st.Investigate(ctx, "contract-api", "prod", "1.12.0", t0.Add(time.Hour), t0.Add(2*time.Hour)); ok {
		t.Errorf("Investigate outside the window found evidence")
	}
}

func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := OpenReadOnly(ctx, filepath.Join(dir, File)); !errors.Is(err, ErrNoTraces) {
		t.Fatalf("OpenReadOnly of nothing = %v, want ErrNoTraces", err)
	}
	w, err := Open(ctx, filepath.Join(dir, File), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Add(ctx, request(1, "1.12.0", t0, 500))
	r, err := OpenReadOnly(ctx, filepath.Join(dir, File))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, err := r.Requests(ctx, Filter{Errors: true}); err != nil || len(got) != 1 {
		t.Errorf("read-only Requests = %d, %v; want the one failure", len(got), err)
	}
	if err := r.Add(ctx, request(2, "1.12.0", t0, 200)); err == nil {
		t.Errorf("Add on a read-only store succeeded")
	}
}

func TestInstanceEnv(t *testing.T) {
	got := InstanceEnv("http://127.0.0.1:7480/", "contract-api", "pr 42", "1.12.0+build.1")
	want := []string{"OTEL_SERVICE_NAME=contract-api",
		"OTEL_RESOURCE_ATTRIBUTES=service.version=1.12.0%2Bbuild.1,deployment.environment.name=pr%2042",
		"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:7480", "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("InstanceEnv (-want +got):\n%s", diff)
	}
	if got := InstanceEnv("", "a", "prod", "1.0.0"); len(got) != 2 {
		t.Errorf("InstanceEnv without endpoint = %q, want only the names", got)
	}
}
