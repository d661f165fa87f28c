package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// parseLevel reads --level: debug, info, warn (warning) or error, any case, with
// slog's +n/-n offsets ("ERROR+4").
func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if strings.EqualFold(s, "warning") {
		return slog.LevelWarn, nil
	}
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("logs: --level %q: use debug, info, warn or error", s)
	}
	return l, nil
}

// lineLevel is the level a log line states: a JSON object's "level", "severity"
// or "lvl" (names, slog's "ERROR+4", or bunyan/pino numbers), a logfmt level= or
// lvl= (slog's text handler), or a Go runtime "panic:"/"fatal error:" line, which
// is an error. A line that states none is info.
func lineLevel(line []byte) slog.Level {
	line = bytes.TrimSpace(line)
	if bytes.HasPrefix(line, []byte("panic: ")) || bytes.HasPrefix(line, []byte("fatal error: ")) {
		return slog.LevelError
	}
	if len(line) > 0 && line[0] == '{' {
		var obj map[string]json.RawMessage
		if json.Unmarshal(line, &obj) == nil {
			for _, k := range []string{"level", "severity", "lvl"} {
				if raw, ok := obj[k]; ok {
					return levelValue(raw)
				}
			}
		}
		return slog.LevelInfo
	}
	if m := logfmtLevel.FindSubmatch(line); m != nil {
		return levelName(strings.Trim(string(m[1]), `"`))
	}
	return slog.LevelInfo
}

var logfmtLevel = regexp.MustCompile(`(?:^|\s)(?:level|lvl)=("[^"]*"|\S+)`)

// lineTime is the time a log line states: a JSON object's "time", "ts",
// "timestamp" or "@timestamp" (RFC 3339, or Unix seconds or milliseconds), a
// logfmt time= or ts=, or a leading RFC 3339 or Go log package timestamp.
func lineTime(line []byte) (time.Time, bool) {
	line = bytes.TrimSpace(line)
	if len(line) > 0 && line[0] == '{' {
		var obj map[string]any
		json.Unmarshal(line, &obj)
		for _, k := range []string{"time", "ts", "timestamp", "@timestamp"} {
			switch v := obj[k].(type) {
			case string:
				t, err := time.Parse(time.RFC3339Nano, v)
				return t, err == nil
			case float64:
				if v > 1e11 {
					return time.UnixMilli(int64(v)), true
				}
				return time.Unix(0, int64(v*1e9)), true
			}
		}
		return time.Time{}, false
	}
	if m := logfmtTime.FindSubmatch(line); m != nil {
		t, err := time.Parse(time.RFC3339Nano, strings.Trim(string(m[1]), `"`))
		return t, err == nil
	}
	word, rest, _ := strings.Cut(string(line), " ")
	if t, err := time.Parse(time.RFC3339Nano, word); err == nil {
		return t, true
	}
	clock, _, _ := strings.Cut(rest, " ")
	t, err := time.ParseInLocation("2006/01/02 15:04:05.999999999", word+" "+clock, time.Local)
	return t, err == nil
}

var logfmtTime = regexp.MustCompile(`(?:^|\s)(?:time|ts)=("[^"]*"|\S+)`)

// levelValue reads a JSON level: a string name, or a bunyan/pino number
// (10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal).
func levelValue(raw json.RawMessage) slog.Level {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return levelName(s)
	}
	n, err := strconv.Atoi(string(raw))
	switch {
	case err != nil:
		return slog.LevelInfo
	case n >= 50:
		return slog.LevelError + slog.Level(4*(n-50)/10)
	case n >= 40:
		return slog.LevelWarn
	case n >= 30:
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

// levelName reads a level name: slog's (with offsets) and the common others.
func levelName(s string) slog.Level {
	switch strings.ToLower(s) {
	case "trace":
		return slog.LevelDebug - 4
	case "warning":
		return slog.LevelWarn
	case "err":
		return slog.LevelError
	case "critical", "crit", "fatal", "panic", "alert", "emergency", "emerg":
		return slog.LevelError + 4
	}
	var l slog.Level
	if l.UnmarshalText([]byte(s)) != nil {
		return slog.LevelInfo
	}
	return l
}

// find lists the log files to print: the instances the deployment records name
// (sources), or, for a version none of them runs any more (rolled back,
// replaced) or across every environment when --env is not given, the log files
// its instances left in the state directory.
func (o *logsOptions) find(ctx context.Context) ([]*logSource, error) {
	if o.env != "" {
		srcs, err := o.sources(ctx)
		if err == nil || o.version == "" {
			return srcs, err
		}
		if kept := o.keptLogs(); len(kept) > 0 {
			return kept, nil
		}
		return nil, err
	}
	kept := o.keptLogs()
	if len(kept) == 0 {
		return nil, fmt.Errorf("logs: no instance of %s left a log in %s (slipway status shows what runs where)", o.version, filepath.Join(o.data, "instances"))
	}
	return kept, nil
}

// keptLogs finds the log files instances of o.version wrote in o.env (every
// environment when empty): <data>/instances/<env>/<env>-<version>-<port>.log.
func (o *logsOptions) keptLogs() []*logSource {
	envs, _ := os.ReadDir(filepath.Join(o.data, "instances"))
	var out []*logSource
	for _, e := range envs {
		if !e.IsDir() || o.env != "" && e.Name() != o.env {
			continue
		}
		prefix := e.Name() + "-" + o.version + "-"
		files, _ := filepath.Glob(filepath.Join(o.data, "instances", e.Name(), prefix+"*.log"))
		slices.Sort(files)
		for _, f := range files {
			port := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(f), prefix), ".log")
			if _, err := strconv.Atoi(port); err != nil {
				continue // another version that starts with this one's name
			}
			out = append(out, &logSource{label: fmt.Sprintf("%s %s :%s", o.version, e.Name(), port), path: f,
				service: o.service, version: o.version})
		}
	}
	return out
}
