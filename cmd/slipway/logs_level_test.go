package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

func TestLineLevel(t *testing.T) {
	tests := []struct {
		line string
		want slog.Level
	}{
		{`{"time":"2026-12-01T10:08:03Z","level":"ERROR","msg":"panic serving request"}`, slog.LevelError},
		{`{"level":"INFO","msg":"request","status":200}`, slog.LevelInfo},
		{`{"level":"ERROR+4","msg":"x"}`, slog.LevelError + 4},
		{`{"severity":"warning","msg":"x"}`, slog.LevelWarn},
		{`{"level":50,"msg":"pino error"}`, slog.LevelError},
		{`{"level":30,"msg":"pino info"}`, slog.LevelInfo},
		{`{"lvl":"fatal"}`, slog.LevelError + 4},
		{`time=2026-12-01T10:08:03Z level=WARN msg="slow request"`, slog.LevelWarn},
		{`ts=1 lvl=debug msg=x`, slog.LevelDebug},
		{`time=1 loglevel=error msg="not a level key"`, slog.LevelInfo},
		{`panic: runtime error: invalid memory address or nil pointer dereference`, slog.LevelError},
		{`2026/12/01 10:08:03 plain line`, slog.LevelInfo},
		{`{"msg":"no level"}`, slog.LevelInfo},
	}
	for _, tt := range tests {
		if got := lineLevel([]byte(tt.line)); got != tt.want {
			t.Errorf("lineLevel(%s) = %v, want %v", tt.line, got, tt.want)
		}
	}
}

func TestLogsLevelAndKeptLogs(t *testing.T) {
	data, _ := seedLogs(t)
	// 1.12.0 was rolled back in prod: its instance is gone from the deployment
	// record but left its log; a version whose name extends it left another.
	dir := filepath.Join(data, "instances", "prod")
	os.MkdirAll(dir, 0o755)
	os.MkdirAll(filepath.Join(data, "instances", "staging"), 0o755)
	write := func(path, s string) {
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "prod-1.12.0-41234.log"), `{"level":"INFO","msg":"listening"}`+"\n"+
		`{"level":"ERROR","msg":"panic serving request","trace_id":"5b8e"}`+"\n"+`{"level":"INFO","msg":"request"}`+"\n")
	write(filepath.Join(dir, "prod-1.12.0-rc.1-41000.log"), `{"level":"ERROR","msg":"not this version"}`+"\n")
	write(filepath.Join(data, "instances", "staging", "staging-1.12.0-40000.log"), `{"level":"WARN","msg":"staging warning"}`+"\n")

	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--version", "1.12.0", "--level", "error"}, `[1.12.0 prod :41234] {"level":"ERROR","msg":"panic serving request","trace_id":"5b8e"}` + "\n"},
		{[]string{"--version", "1.12.0", "--level", "warn"}, `[1.12.0 prod :41234] {"level":"ERROR","msg":"panic serving request","trace_id":"5b8e"}` + "\n" +
			`[1.12.0 staging :40000] {"level":"WARN","msg":"staging warning"}` + "\n"},
		{[]string{"--env", "prod", "--version", "1.12.0", "--level", "ERROR"}, `{"level":"ERROR","msg":"panic serving request","trace_id":"5b8e"}` + "\n"},
		{[]string{"--env", "prod", "--version", "2.3.0", "--level", "error"}, ""},
	}
	for _, tt := range tests {
		out, err := runCmd(t, newLogsCmd(), append(tt.args, "--data", data)...)
		if err != nil || out != tt.want {
			t.Errorf("logs %v = %q, %v; want %q", tt.args, out, err, tt.want)
		}
	}
	if _, err := runCmd(t, newLogsCmd(), "--version", "1.12.0", "--level", "loud", "--data", data); err == nil {
		t.Errorf("logs --level loud was accepted")
	}
	if _, err := runCmd(t, newLogsCmd(), "--version", "7.0.0", "--data", data); err == nil {
		t.Errorf("logs --version of a version that never ran found logs")
	}
}
