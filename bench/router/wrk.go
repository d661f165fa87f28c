package main

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

//go:embed wrk.lua
var wrkScript []byte

// wrkRun is one wrk invocation.
type wrkRun struct {
	Threads, Conns int
	Duration       time.Duration
	URL            string
	// DelayMS makes each connection wait before each request (fixed-rate load).
	DelayMS int
	// Count counts responses by status and version in Lua (slower; fixed rate only).
	Count bool
}

// wrkResult is what wrk.lua's done() prints.
type wrkResult struct {
	Requests   int64 `json:"requests"`
	DurationUS int64 `json:"duration_us"`
	Bytes      int64 `json:"bytes"`
	Errors     struct {
		Connect int64 `json:"connect"`
		Read    int64 `json:"read"`
		Write   int64 `json:"write"`
		Status  int64 `json:"status"`
		Timeout int64 `json:"timeout"`
	} `json:"errors"`
	LatencyUS struct {
		Mean float64 `json:"mean"`
		P50  int64   `json:"p50"`
		P90  int64   `json:"p90"`
		P99  int64   `json:"p99"`
		Max  int64   `json:"max"`
	} `json:"latency_us"`
	Counted  bool             `json:"counted"`
	Non2xx   int64            `json:"non2xx"`
	Codes    map[string]int64 `json:"codes"`
	Versions map[string]int64 `json:"versions"`
}

// RPS is the achieved request rate.
func (r wrkResult) RPS() float64 {
	if r.DurationUS <= 0 {
		return 0
	}
	return float64(r.Requests) / (float64(r.DurationUS) / 1e6)
}

// SocketErrors sums wrk's connect, read, write and timeout errors.
func (r wrkResult) SocketErrors() int64 {
	e := r.Errors
	return e.Connect + e.Read + e.Write + e.Timeout
}

// wrk runs wrk with the embedded script and parses its result line. The full output
// is kept in dir/wrk-<label>.out.
type wrk struct {
	path   string // wrk binary
	dir    string
	script string // written once by newWrk
}

func newWrk(path, dir string) (*wrk, error) {
	script := filepath.Join(dir, "wrk.lua")
	if err := os.WriteFile(script, wrkScript, 0o644); err != nil {
		return nil, fmt.Errorf("write wrk script: %w", err)
	}
	return &wrk{path: path, dir: dir, script: script}, nil
}

func (w *wrk) run(ctx context.Context, label string, run wrkRun) (wrkResult, error) {
	if run.Conns < run.Threads {
		return wrkResult{}, fmt.Errorf("wrk %s: %d connections for %d threads: need at least one per thread", label, run.Conns, run.Threads)
	}
	secs := int(run.Duration.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	args := []string{
		"-t" + strconv.Itoa(run.Threads), "-c" + strconv.Itoa(run.Conns), "-d" + strconv.Itoa(secs) + "s",
		"--latency", "--timeout", "5s", "-s", w.script, run.URL,
	}
	cmd := exec.CommandContext(ctx, w.path, args...)
	cmd.Env = append(os.Environ(), "SLIPWAY_WRK_DELAY_MS="+strconv.Itoa(run.DelayMS), "SLIPWAY_WRK_COUNT=0")
	if run.Count {
		cmd.Env[len(cmd.Env)-1] = "SLIPWAY_WRK_COUNT=1"
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // dies with the benchmark
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	_ = os.WriteFile(filepath.Join(w.dir, "wrk-"+label+".out"),
		append([]byte(w.path+" "+strings.Join(args, " ")+"\n"), out.Bytes()...), 0o644)
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk %s: %w: %s", label, err, lastLines(out.String(), 3))
	}
	res, err := parseWrk(out.Bytes())
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk %s: %w", label, err)
	}
	return res, nil
}

// parseWrk finds the "slipway-wrk: {json}" line in wrk's output.
func parseWrk(out []byte) (wrkResult, error) {
	const prefix = "slipway-wrk: "
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		var res wrkResult
		if err := json.Unmarshal([]byte(line[len(prefix):]), &res); err != nil {
			return wrkResult{}, fmt.Errorf("parse result line %q: %w", line, err)
		}
		if res.Requests == 0 {
			return wrkResult{}, fmt.Errorf("no request completed: %s", lastLines(string(out), 3))
		}
		return res, nil
	}
	return wrkResult{}, fmt.Errorf("no result line in output: %s", lastLines(string(out), 3))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, " | ")
}
