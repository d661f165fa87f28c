package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of utime and stime in /proc/<pid>/stat (USER_HZ, 100 on
// every Linux architecture the benchmark runs on).
const clockTick = 10 * time.Millisecond

// groupCPU returns the user plus system CPU time used so far by the live processes
// of process group pgid (nginx's master and workers, or one Go process).
func groupCPU(pgid int) (time.Duration, error) {
	paths, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		return 0, fmt.Errorf("cpu of process group %d: %w", pgid, err)
	}
	var ticks int64
	found := false
	for _, path := range paths {
		data, err := os.ReadFile(path)
		if err != nil {
			continue // the process ended meanwhile
		}
		group, t, err := parseStat(string(data))
		if err != nil {
			return 0, fmt.Errorf("cpu of process group %d: %s: %w", pgid, path, err)
		}
		if group == pgid {
			ticks += t
			found = true
		}
	}
	if !found {
		return 0, fmt.Errorf("cpu of process group %d: no process left in it", pgid)
	}
	return time.Duration(ticks) * clockTick, nil
}

// parseStat reads the process group and utime+stime (in clock ticks) of one
// /proc/<pid>/stat line. The command name, in parentheses, may hold spaces, so
// fields are counted from the last ')'.
func parseStat(line string) (pgrp int, ticks int64, err error) {
	end := strings.LastIndexByte(line, ')')
	if end < 0 {
		return 0, 0, fmt.Errorf("no command name in %q", line)
	}
	// After ") ": state(3) ppid(4) pgrp(5) ... utime(14) stime(15).
	f := strings.Fields(line[end+1:])
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("%d fields after the command name, want at least 13", len(f))
	}
	pgrp, err = strconv.Atoi(f[2])
	if err != nil {
		return 0, 0, fmt.Errorf("pgrp %q: %w", f[2], err)
	}
	utime, err := strconv.ParseInt(f[11], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("utime %q: %w", f[11], err)
	}
	stime, err := strconv.ParseInt(f[12], 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("stime %q: %w", f[12], err)
	}
	return pgrp, utime + stime, nil
}
