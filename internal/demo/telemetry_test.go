package demo

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/telemetry"
)

// checkTelemetry looks for the story's failure the way a person on call would,
// with the commands, in the state directory the story left: the failing request
// of 1.12.0 in prod by version, route and error; the error line in 1.12.0's logs;
// and, through the incident's Investigator, the flag the failures correlate with.
func checkTelemetry(t *testing.T, data string) {
	t.Helper()
	bin := slipwayBinary(t)
	run := func(args ...string) string {
		out, err := exec.Command(bin, append(args, "--data", data)...).CombinedOutput()
		if err != nil {
			t.Fatalf("slipway %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	// Instances export every second and flush when stopped; wait for the
	// candidate's last batch rather than assume it arrived.
	var failed []telemetry.Span
	for deadline := time.Now().Add(30 * time.Second); ; {
		var doc struct{ Requests []telemetry.Span }
		out := run("traces", "--env", "prod", "--version", "1.12.0", "--errors", "-o", "json")
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("slipway traces -o json: %v\n%s", err, out)
		}
		if failed = doc.Requests; len(failed) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if len(failed) == 0 {
		t.Fatalf("slipway traces --env prod --version 1.12.0 --errors found no failing request")
	}
	f := failed[0]
	if f.Route != "POST /v1/contracts/validate" || f.Status != 500 || !strings.Contains(f.Message, "nil pointer dereference") {
		t.Errorf("failing request of 1.12.0 = %s %d %q, want POST /v1/contracts/validate 500 with the nil pointer panic", f.Route, f.Status, f.Message)
	}
	if tree := run("traces", "show", f.TraceID); !strings.Contains(tree, "domain.Validate") ||
		!strings.Contains(tree, "feature_flag.key=contract-rule-validation") {
		t.Errorf("slipway traces show %s lacks the validation span and its flag evaluation:\n%s", f.TraceID, tree)
	}
	if ok := run("traces", "--env", "prod", "--version", "1.12.1", "--errors", "--route", "POST /v1/contracts/validate"); !strings.HasPrefix(ok, "no request kept matches") {
		t.Errorf("the fix 1.12.1 has failing validate requests:\n%s", ok)
	}

	logs := run("logs", "--version", "1.12.0", "--level", "error")
	if !strings.Contains(logs, `"msg":"panic serving request"`) || !strings.Contains(logs, `"trace_id":"`) || strings.Contains(logs, `"level":"INFO"`) {
		t.Errorf("slipway logs --version 1.12.0 --level error = %s, want the panic's error line with its trace id and no info lines", logs)
	}

	st, err := telemetry.OpenReadOnly(context.Background(), filepath.Join(data, telemetry.File))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ev, ok, err := st.Investigate(context.Background(), "contract-api", "prod", "1.12.0", time.Time{}, time.Now())
	if err != nil || !ok {
		t.Fatalf("Investigate 1.12.0 = %v, %v", ok, err)
	}
	if ev.Route != "POST /v1/contracts/validate" || ev.Errors < 1 || ev.TraceID == "" || len(ev.Spans) < 2 {
		t.Errorf("evidence = %+v, want the validate route's failures with one request's spans", ev)
	}
	var flagged bool
	for _, fl := range ev.Flags {
		flagged = flagged || fl.Flag == "contract-rule-validation" && fl.Variant == "on" && fl.Errors >= 1 && fl.Requests >= fl.Errors
	}
	if !flagged {
		t.Errorf("flag correlation = %+v, want contract-rule-validation on with the errors", ev.Flags)
	}
}
