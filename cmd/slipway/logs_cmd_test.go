package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/runtime"
	"github.com/slipway/slipway/internal/store"
	"github.com/slipway/slipway/internal/telemetry"
)

// seedLogs writes a prod deployment of quote-api whose current, warm and
// candidate instances log to files in a temp directory.
func seedLogs(t *testing.T) (data string, logs map[string]string) {
	t.Helper()
	data = t.TempDir()
	dir := t.TempDir()
	logs = map[string]string{
		"a": filepath.Join(dir, "a.log"), "b": filepath.Join(dir, "b.log"),
		"warm": filepath.Join(dir, "warm.log"), "cand": filepath.Join(dir, "cand.log"),
	}
	for name, content := range map[string]string{
		"a":    "a: one\na: two\na: three\n",
		"b":    "b: one\n",
		"warm": "warm: one\n",
		"cand": "cand: one\ncand: two",
	} {
		if err := os.WriteFile(logs[name], []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(data, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.Put(ctx, "deployment", "quote-api/prod", deploy.Deployment{Service: "quote-api", Env: "prod", Version: "2.3.0",
		Instances: []runtime.Instance{{ID: "i-a", Log: logs["a"]}, {ID: "i-b", Log: logs["b"]}},
		Warm:      &deploy.Warm{Version: "2.2.9", Instances: []runtime.Instance{{ID: "i-w", Log: logs["warm"]}}, WarmUntil: time.Now().Add(time.Minute)},
		Pending:   &deploy.Pending{Version: "2.3.1", Rollout: "ro-3", Instance: runtime.Instance{ID: "i-c", Log: logs["cand"]}}})
	if err != nil {
		t.Fatal(err)
	}
	st.Put(ctx, "deployment", "quote-api/dev", deploy.Deployment{Service: "quote-api", Env: "dev", Version: "2.3.1",
		Instances: []runtime.Instance{{ID: "i-d", Log: logs["b"]}}})
	return data, logs
}

func TestLogs(t *testing.T) {
	data, _ := seedLogs(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--env", "prod"}, "[2.3.0 i-a] a: one\n[2.3.0 i-a] a: two\n[2.3.0 i-a] a: three\n[2.3.0 i-b] b: one\n" +
			"[2.2.9 i-w warm] warm: one\n[2.3.1 i-c candidate] cand: one\n[2.3.1 i-c candidate] cand: two\n"},
		{[]string{"--env", "prod", "--version", "2.3.1"}, "cand: one\ncand: two\n"},
		{[]string{"--env", "prod", "--version", "2.3.0", "--tail", "1"}, "[2.3.0 i-a] a: three\n[2.3.0 i-b] b: one\n"},
		{[]string{"--env", "dev", "--service", "quote-api"}, "b: one\n"},
	}
	for _, tt := range tests {
		out, err := runCmd(t, newLogsCmd(), append(tt.args, "--data", data)...)
		if err != nil || out != tt.want {
			t.Errorf("logs %v = %q, %v; want %q", tt.args, out, err, tt.want)
		}
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, "pass --env ENV"},
		{[]string{"--env", "staging"}, "nothing is deployed to staging"},
		{[]string{"--env", "prod", "--version", "9.9.9"}, "no instance of 9.9.9 in prod of quote-api has a log file (running there: 2.3.0, 2.2.9, 2.3.1)"},
	} {
		if _, err := runCmd(t, newLogsCmd(), append(tt.args, "--data", data)...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("logs %v: %v, want %q", tt.args, err, tt.want)
		}
	}
}

func TestLogsFollow(t *testing.T) {
	data, logs := seedLogs(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := startCmd(ctx, newLogsCmd(), &out, "--env", "prod", "--version", "2.3.0", "--tail", "1", "--follow", "--data", data)
	eventually(t, "the last line of each", func() bool { return strings.Count(out.String(), "\n") == 2 })
	f, err := os.OpenFile(logs["b"], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("b: two, after follow began\nb: half a li")
	f.Close()
	eventually(t, "the appended line", func() bool { return strings.Contains(out.String(), "[2.3.0 i-b] b: two, after follow began\n") })
	if strings.Contains(out.String(), "half a li") || strings.Contains(out.String(), "a: two") {
		t.Errorf("logs --follow --tail 1 printed older output or half a line:\n%s", out.String())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), "[2.3.0 i-b] b: half a li\n") {
		t.Errorf("logs --follow did not print the unfinished line on exit:\n%s", out.String())
	}
}

// TestLogsOTLP: log records a version exported over OTLP are printed beside its
// log file's lines, merged by time, filtered by --level and cut by --tail; a
// version with records but no log file left still has its records printed.
func TestLogsOTLP(t *testing.T) {
	data, logs := seedLogs(t)
	at := time.Date(2026, 12, 1, 10, 8, 0, 0, time.UTC)
	os.WriteFile(logs["cand"], []byte(`{"time":"2026-12-01T10:08:00Z","level":"INFO","msg":"listening"}`+"\n"+
		"panic: runtime error: invalid memory address or nil pointer dereference\n"+
		`{"time":"2026-12-01T10:08:02Z","level":"ERROR","msg":"quote store unreachable"}`+"\n"), 0o644)
	ctx := context.Background()
	st, err := telemetry.Open(ctx, filepath.Join(data, telemetry.File), telemetry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rec := func(env, version string, after time.Duration, severity int, body string) telemetry.LogRecord {
		return telemetry.LogRecord{Time: at.Add(after), Service: "quote-api", Env: env, Version: version, Severity: severity, Body: body}
	}
	panicked := rec("prod", "2.3.1", time.Second, 17, "validate panicked")
	panicked.TraceID, panicked.SpanID = "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174"
	panicked.Attrs = map[string]string{"rule": "7"}
	err = st.AddLogs(ctx, []telemetry.LogRecord{panicked, rec("prod", "2.3.1", 1500*time.Millisecond, 0, "request served"),
		rec("prod", "2.3.0", time.Second, 17, "not this version"), rec("dev", "2.3.1", 3*time.Second, 13, "slow quote")})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	clock := func(d time.Duration) string { return at.Add(d).Local().Format("2006-01-02T15:04:05.000Z07:00") }
	listening := "[2.3.1 i-c candidate] " + `{"time":"2026-12-01T10:08:00Z","level":"INFO","msg":"listening"}` + "\n"
	panicLine := "[2.3.1 i-c candidate] panic: runtime error: invalid memory address or nil pointer dereference\n"
	otlpError := "[2.3.1 otlp] time=" + clock(time.Second) + ` level=ERROR msg="validate panicked" rule=7` +
		" trace_id=5b8efff798038103d269b633813fc60c span_id=eee19b7ec3c1b174\n"
	served := "[2.3.1 otlp] time=" + clock(1500*time.Millisecond) + ` level=INFO msg="request served"` + "\n"
	unreachable := "[2.3.1 i-c candidate] " + `{"time":"2026-12-01T10:08:02Z","level":"ERROR","msg":"quote store unreachable"}` + "\n"
	for _, tt := range []struct {
		args []string
		want string
	}{
		// The panic line states no time: it stays after the line before it.
		{[]string{"--env", "prod", "--version", "2.3.1"}, listening + panicLine + otlpError + served + unreachable},
		{[]string{"--env", "prod", "--version", "2.3.1", "--level", "error"}, panicLine + otlpError + unreachable},
		{[]string{"--env", "prod", "--version", "2.3.1", "--tail", "1"}, served + unreachable},
		// No instance left a log file in the state directory: the records alone.
		{[]string{"--version", "2.3.1", "--level", "warn"}, strings.ReplaceAll(otlpError, "2.3.1 otlp", "2.3.1 prod otlp") +
			"[2.3.1 dev otlp] time=" + clock(3*time.Second) + ` level=WARN msg="slow quote"` + "\n"},
		{[]string{"--env", "prod", "--version", "2.3.0", "--tail", "1"}, "[2.3.0 i-a] a: three\n[2.3.0 i-b] b: one\n" +
			"[2.3.0 otlp] time=" + clock(time.Second) + ` level=ERROR msg="not this version"` + "\n"},
	} {
		out, err := runCmd(t, newLogsCmd(), append(tt.args, "--data", data)...)
		if err != nil || out != tt.want {
			t.Errorf("logs %v = %v\n%s\nwant\n%s", tt.args, err, out, tt.want)
		}
	}
}

func TestLogsFollowOTLP(t *testing.T) {
	data, _ := seedLogs(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := telemetry.Open(ctx, filepath.Join(data, telemetry.File), telemetry.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var out syncBuffer
	done := startCmd(ctx, newLogsCmd(), &out, "--env", "prod", "--version", "2.3.1", "--follow", "--data", data)
	eventually(t, "the file's lines", func() bool { return strings.Count(out.String(), "\n") == 1 })
	err = st.AddLogs(ctx, []telemetry.LogRecord{{Time: time.Now(), Service: "quote-api", Env: "prod", Version: "2.3.1",
		Severity: 17, Body: "exported while following"}})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "the exported record", func() bool { return strings.Contains(out.String(), `msg="exported while following"`) })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := out.String(); strings.Count(got, "exported while following") != 1 || !strings.Contains(got, "[2.3.1 otlp] time=") {
		t.Errorf("logs --follow printed the record not once or without its label:\n%s", got)
	}
}

func TestLineTime(t *testing.T) {
	at := time.Date(2026, 12, 1, 10, 8, 0, 500_000_000, time.UTC)
	for _, tt := range []struct {
		line string
		want time.Time
	}{
		{`{"time":"2026-12-01T10:08:00.5Z","msg":"x"}`, at},
		{`{"ts":1796112480500,"msg":"pino"}`, time.UnixMilli(1796112480500)},
		{`{"ts":1796112480.5,"msg":"zap"}`, time.Unix(1796112480, 500_000_000)},
		{`time=2026-12-01T10:08:00.5Z level=INFO msg=x`, at},
		{`2026-12-01T10:08:00.5Z INFO x`, at},
		{`2026/12/01 10:08:00.5 x`, time.Date(2026, 12, 1, 10, 8, 0, 500_000_000, time.Local)},
		{`{"msg":"no time"}`, time.Time{}},
		{`goroutine 1 [running]:`, time.Time{}},
	} {
		got, ok := lineTime([]byte(tt.line))
		if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
			t.Errorf("lineTime(%s) = %v, %v; want %v", tt.line, got, ok, tt.want)
		}
	}
}
