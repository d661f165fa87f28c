package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/telemetry"
)

// seedTraces keeps two requests of contract-api in prod: one of 1.11.4 that
// passed, one of 1.12.0 that failed inside domain.Validate.
func seedTraces(t *testing.T) string {
	t.Helper()
	data := t.TempDir()
	ctx := context.Background()
	st, err := telemetry.Open(ctx, filepath.Join(data, telemetry.File), telemetry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Now().Add(-time.Minute)
	span := func(trace, id, parent, version, name string, start, d time.Duration, status int, msg string) telemetry.Span {
		s := telemetry.Span{TraceID: trace, SpanID: id, ParentID: parent, Service: "contract-api", Env: "prod", Version: version,
			Name: name, Start: at.Add(start), End: at.Add(start + d), Status: status, Error: status >= 500, Message: msg}
		if parent == "" {
			s.Kind, s.Request, s.Route = "server", true, name
		}
		return s
	}
	fail := "6b8efff798038103d269b633813fc60c"
	child := span(fail, "00000000000000b2", "00000000000000b1", "1.12.0", "domain.Validate", time.Millisecond, 2*time.Millisecond, 0, "")
	child.Events = []telemetry.Event{{Name: "feature_flag.evaluation", Time: at.Add(time.Millisecond),
		Attrs: map[string]string{"feature_flag.key": "contract-rule-validation", "feature_flag.result.variant": "on"}}}
	err = st.Add(ctx, []telemetry.Span{
		span("1a8efff798038103d269b633813fc60c", "00000000000000a1", "", "1.11.4", "POST /v1/contracts/validate", 0, 3*time.Millisecond, 200, ""),
		span(fail, "00000000000000b1", "", "1.12.0", "POST /v1/contracts/validate", time.Second, 5*time.Millisecond, 500,
			"runtime error: invalid memory address or nil pointer dereference"),
		child,
	})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestTraces(t *testing.T) {
	data := seedTraces(t)
	out, err := runCmd(t, newTracesCmd(), "--env", "prod", "--version", "1.12.0", "--errors", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "TIME") {
		t.Fatalf("traces --errors printed %d lines, want the header and one request:\n%s", len(lines), out)
	}
	for _, want := range []string{"prod", "1.12.0", "POST /v1/contracts/validate", "500", "5ms", "6b8efff798038103d269b633813fc60c", "runtime error: invalid memory address"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("traces row %q lacks %q", lines[1], want)
		}
	}

	out, err = runCmd(t, newTracesCmd(), "--route", "/v1/contracts", "-o", "json", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Requests []telemetry.Span }
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Requests) != 2 || doc.Requests[0].Version != "1.12.0" {
		t.Errorf("traces -o json = %s (%v), want both requests, newest first", out, err)
	}

	out, err = runCmd(t, newTracesCmd(), "show", "6b8efff7", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"trace 6b8efff798038103d269b633813fc60c: contract-api 1.12.0 in prod",
		"POST /v1/contracts/validate  5ms  500  ERROR: runtime error: invalid memory address or nil pointer dereference",
		"  domain.Validate  2ms",
		"    · feature_flag.evaluation +0s feature_flag.key=contract-rule-validation feature_flag.result.variant=on"}
	for _, w := range want {
		if !strings.Contains(out, w+"\n") && !strings.Contains(out, w+",") {
			t.Errorf("traces show lacks %q:\n%s", w, out)
		}
	}
	if _, err := runCmd(t, newTracesCmd(), "show", "ffff", "--data", data); err == nil || !strings.Contains(err.Error(), "no trace ffff is kept") {
		t.Errorf("traces show of an unknown trace: %v", err)
	}
	if _, err := runCmd(t, newTracesCmd(), "--data", t.TempDir()); err == nil || !strings.Contains(err.Error(), "no traces kept yet") {
		t.Errorf("traces without a trace database: %v", err)
	}
}
