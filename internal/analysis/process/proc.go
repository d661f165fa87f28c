package process

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every Linux
// architecture Go supports.
const clockTicks = 100

// usage is what one process group used.
type usage struct {
	cpuSeconds  float64
	memoryBytes float64
	members     int
}

// stat is the part of /proc/<pid>/stat the provider reads.
type stat struct {
	pid, pgrp int
	// ticks is utime+stime+cutime+cstime: the process's CPU and that of its
	// children it has waited for.
	ticks uint64
	// startTicks is when the process started, in ticks since boot.
	startTicks uint64
}

// parseStat reads one /proc/<pid>/stat line. The command name may hold spaces and
// parentheses, so fields are counted from the last ')'.
func parseStat(b []byte) (stat, error) {
	open, end := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return stat{}, errors.New("no (comm) field")
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return stat{}, fmt.Errorf("pid: %w", err)
	}
	f := bytes.Fields(b[end+1:])
	// f[0] is field 3 (state): field n is f[n-3].
	if len(f) < 20 {
		return stat{}, fmt.Errorf("%d fields after comm, want at least 20", len(f))
	}
	s := stat{pid: pid}
	if s.pgrp, err = strconv.Atoi(string(f[2])); err != nil {
		return stat{}, fmt.Errorf("pgrp: %w", err)
	}
	for _, i := range []int{11, 12, 13, 14} { // utime, stime, cutime, cstime
		v, err := strconv.ParseInt(string(f[i]), 10, 64)
		if err != nil {
			return stat{}, fmt.Errorf("field %d: %w", i+3, err)
		}
		if v > 0 {
			s.ticks += uint64(v)
		}
	}
	if s.startTicks, err = strconv.ParseUint(string(f[19]), 10, 64); err != nil {
		return stat{}, fmt.Errorf("starttime: %w", err)
	}
	return s, nil
}

// groups reads every process under procRoot once and sums, for each pid in want, the
// process group it leads, or the process alone when it leads none. It also returns
// the stat of each wanted pid found. Processes that exit during the scan are skipped.
func groups(procRoot string, want map[int]bool) (map[int]*usage, map[int]stat, error) {
	entries, err := os.ReadDir(procRoot)
	if err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", procRoot, err)
	}
	out := make(map[int]*usage, len(want))
	found := make(map[int]stat, len(want))
	buf := make([]byte, 1024) // a stat line is well under 1 KiB
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 0 {
			continue
		}
		b, err := readSmall(filepath.Join(procRoot, e.Name(), "stat"), buf)
		if err != nil {
			continue // exited since ReadDir
		}
		s, err := parseStat(b)
		if err != nil {
			return nil, nil, fmt.Errorf("parse %s/%d/stat: %w", procRoot, pid, err)
		}
		key := 0
		switch {
		case want[s.pgrp]:
			key = s.pgrp
		case want[s.pid]:
			key = s.pid
		default:
			continue
		}
		if want[s.pid] {
			found[s.pid] = s
		}
		u := out[key]
		if u == nil {
			u = &usage{}
			out[key] = u
		}
		u.members++
		u.cpuSeconds += float64(s.ticks) / clockTicks
		rss, err := residentBytes(procRoot, pid)
		if err != nil {
			continue // exited since its stat was read
		}
		u.memoryBytes += rss
	}
	return out, found, nil
}

var pageSize = float64(os.Getpagesize())

// readSmall reads a small procfs file into buf with one read: procfs answers a
// read of a stat file whole, and os.ReadFile would stat the file and read twice.
func readSmall(path string, buf []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	n, err := f.Read(buf)
	if err != nil {
		return nil, err
	}
	if n == len(buf) {
		return nil, fmt.Errorf("%s is longer than %d bytes", path, len(buf))
	}
	return buf[:n], nil
}

// residentBytes reads the resident set size from /proc/<pid>/statm.
func residentBytes(procRoot string, pid int) (float64, error) {
	b, err := readSmall(filepath.Join(procRoot, strconv.Itoa(pid), "statm"), make([]byte, 256))
	if err != nil {
		return 0, err
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0, fmt.Errorf("statm of %d: %d fields, want at least 2", pid, len(f))
	}
	pages, err := strconv.ParseUint(string(f[1]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("statm of %d: %w", pid, err)
	}
	return float64(pages) * pageSize, nil
}

// bootTime reads the boot time from <procRoot>/stat.
func bootTime(procRoot string) (time.Time, error) {
	b, err := os.ReadFile(filepath.Join(procRoot, "stat"))
	if err != nil {
		return time.Time{}, err
	}
	for line := range bytes.SplitSeq(b, []byte{'\n'}) {
		if v, ok := bytes.CutPrefix(line, []byte("btime ")); ok {
			sec, err := strconv.ParseInt(string(bytes.TrimSpace(v)), 10, 64)
			if err != nil {
				return time.Time{}, fmt.Errorf("btime: %w", err)
			}
			return time.Unix(sec, 0), nil
		}
	}
	return time.Time{}, errors.New("no btime line")
}

// ResidentBytes is the resident memory of process pid on this machine.
func ResidentBytes(pid int) (float64, error) { return residentBytes("/proc", pid) }

// AvailableMemory is the memory this machine can give new processes without
// swapping: MemAvailable in /proc/meminfo.
func AvailableMemory() (float64, error) { return availableMemory("/proc") }

func availableMemory(procRoot string) (float64, error) {
	b, err := os.ReadFile(filepath.Join(procRoot, "meminfo"))
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(b) {
		f := bytes.Fields(line)
		if len(f) >= 2 && string(f[0]) == "MemAvailable:" {
			kb, err := strconv.ParseUint(string(f[1]), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("meminfo: MemAvailable %q: %w", f[1], err)
			}
			return float64(kb) * 1024, nil
		}
	}
	return 0, fmt.Errorf("meminfo has no MemAvailable line")
}
