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
