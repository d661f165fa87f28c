package process

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCritical(t *testing.T) {
	tests := []struct {
		line string
		want bool
	}{
		{`{"time":"2025-06-01T12:00:00Z","level":"ERROR","msg":"rule failed"}`, true},
		{`{"time":"2025-06-01T12:00:00Z","level":"ERROR+4","msg":"critical"}`, true},
		{`{"level":"INFO","msg":"ok","err":"level=ERROR"}`, false},
		{`{"level":"WARN+2","msg":"close to error"}`, false},
		{`{"level":"fatal","msg":"zap style"}`, true},
		{`{"severity":"CRITICAL","message":"cloud logging style"}`, true},
		{`{"severity":"NOTICE"}`, false},
		{`{"level":50,"msg":"pino error"}`, true},
		{`{"level":30,"msg":"pino info"}`, false},
		{`{"msg":"no level","error":"boom"}`, false},
		{`{"level":"ERROR", broken json`, true}, // judged by its level, as a cut long line is
		{`{"msg":"level","level":"ERROR"}`, true},
		{`{"msg":"say \"level\": \"ERROR\"","level":"INFO"}`, false},
		{`{"level" : "error"}`, true},
		{`{"level":"ER\u0052OR"}`, true},
		{`{"nested":{"x":1},"level":"DEBUG"}`, false},
		{`time=2025-06-01T12:00:00Z level=ERROR msg="rule failed"`, true},
		{`time=2025-06-01T12:00:00Z level=INFO msg="x" detail="level=ERROR"`, false},
		{`ts=1 lvl=crit msg=disk`, true},
		{`level="error" msg=quoted`, true},
		{`loglevel=ERROR msg=other-key`, false},
		{`panic: runtime error: index out of range [3] with length 3`, true},
		{`fatal error: concurrent map writes`, true},
		{`goroutine 1 [running]:`, false},
		{`an ERROR in free text`, false},
		{"   ", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := critical([]byte(tt.line)); got != tt.want {
			t.Errorf("critical(%q) = %v, want %v", tt.line, got, tt.want)
		}
	}
}

func TestLogCounter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	errLine := `{"level":"ERROR","msg":"x"}` + "\n"
	infoLine := `{"level":"INFO","msg":"x"}` + "\n"
	write := func(s string) {
		t.Helper()
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
	var c logCounter
	steps := []struct {
		name string
		do   func()
		want float64
	}{
		{"empty", func() { write("") }, 0},
		{"two errors", func() { write(errLine + infoLine + errLine) }, 2},
		{"nothing new", func() {}, 2},
		{"half a line", func() { write(`{"level":"ERR`) }, 2},
		{"its other half", func() { write(`OR","msg":"y"}` + "\n") }, 3},
		{"truncated", func() {
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
			write(errLine)
		}, 4},
		{"replaced by a longer file", func() {
			next := filepath.Join(dir, "next.log")
			if err := os.WriteFile(next, []byte(strings.Repeat(infoLine, 10)+errLine), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(next, path); err != nil {
				t.Fatal(err)
			}
		}, 5},
		{"over-long error line", func() {
			write(`level=ERROR msg=` + strings.Repeat("x", 3*maxLine) + "\n" + errLine)
		}, 7},
		{"over-long info line", func() {
			write(`level=INFO msg=` + strings.Repeat("level=ERROR ", maxLine) + "\n")
		}, 7},
	}
	for _, st := range steps {
		st.do()
		got, err := c.read(path)
		if err != nil {
			t.Fatalf("%s: read: %v", st.name, err)
		}
		if got != st.want {
			t.Errorf("%s: count = %v, want %v", st.name, got, st.want)
		}
	}
}

func TestParseStat(t *testing.T) {
	line := "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 150 50 7 3 20 0 4 0 123456 1000000 300 18446744073709551615"
	got, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	want := stat{pid: 4242, pgrp: 4242, ticks: 150 + 50 + 7 + 3, startTicks: 123456}
	if got != want {
		t.Errorf("parseStat = %+v, want %+v", got, want)
	}
	for _, bad := range []string{"", "4242 no comm", "x (a) S 1 2", "1 (a) S 1 2 3"} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q) = nil error, want one", bad)
		}
	}
}
