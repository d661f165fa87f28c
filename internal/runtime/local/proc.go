package local

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// StartTime returns when pid started, in clock ticks since boot: field 22 of
// /proc/<pid>/stat. With the pid it names one process for good, since a pid is
// reused only by a process that starts later.
func StartTime(pid int) (uint64, error) {
	st, err := readStat(pid)
	if err != nil {
		return 0, err
	}
	return st.start, nil
}

// SameProcess reports whether pid runs, is not a zombie, and started at boot (a
// StartTime). A boot of 0 (not recorded) matches any start time.
func SameProcess(pid int, boot uint64) bool {
	if pid <= 0 {
		return false
	}
	st, err := readStat(pid)
	if err != nil {
		return false
	}
	return st.state != 'Z' && st.state != 'X' && (boot == 0 || st.start == boot)
}

type stat struct {
	state byte
	start uint64
}

// readStat parses /proc/<pid>/stat. The command name (field 2) may hold spaces and
// parentheses, so fields are counted from the last ')'.
func readStat(pid int) (stat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return stat{}, fmt.Errorf("read state of process %d: %w", pid, err)
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return stat{}, fmt.Errorf("read state of process %d: no command name in %q", pid, b)
	}
	// After ')' come fields 3 (state) onwards; starttime is field 22.
	fields := bytes.Fields(b[i+1:])
	if len(fields) < 20 || len(fields[0]) != 1 {
		return stat{}, fmt.Errorf("read state of process %d: %d fields after the command name, want at least 20", pid, len(fields))
	}
	start, err := strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return stat{}, fmt.Errorf("read start time of process %d: %w", pid, err)
	}
	return stat{state: fields[0][0], start: start}, nil
}
