// Package main (command router) measures Slipway's router as a real process under wrk load: that
// switching versions (canary steps, promote, rollback) fails no request, and what
// the router adds over a direct connection and over nginx proxying the same upstream.
//
//	go run ./bench/router          # about 4 minutes
//	go run ./bench/router -quick   # about 1 minute
//
// It needs wrk and nginx (bench/router/run.sh installs them). Its last line reads
//
//	router: added_p50_us=X throughput_vs_nginx=Y switch_errors=Z
//
// and it exits 1 when the switch test saw any failed request.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"
)

// benchPath is the request path of every run; the router labels it GET /contracts/:id.
const benchPath = "/contracts/42"

type options struct {
	quick bool
	keep  bool

	rate        int
	conns       int
	switchDur   time.Duration
	baselineDur time.Duration
	flipEvery   time.Duration
	holdMS      int

	rounds      int
	maxConns    int
	throughput  time.Duration
	latencyDur  time.Duration
	slipwayPath string
	routerEnv   string
}

func main() {
	var o options
	flag.BoolVar(&o.quick, "quick", false, "short runs (switch 3s+10s, overhead 2 rounds of 3s+3s per target): about a minute")
	flag.BoolVar(&o.keep, "keep", false, "keep the temporary directory (logs, wrk outputs, nginx.conf)")
	flag.IntVar(&o.rate, "rate", 500, "switch test: target requests per second")
	flag.IntVar(&o.conns, "conns", 16, "switch test: wrk connections")
	flag.DurationVar(&o.switchDur, "switch-duration", 20*time.Second, "switch test: wrk duration")
	flag.DurationVar(&o.baselineDur, "baseline-duration", 5*time.Second, "switch test: wrk duration of the run without routing changes (calibrates the rate)")
	flag.DurationVar(&o.flipEvery, "flip", 250*time.Millisecond, "switch test: time between routing changes")
	flag.IntVar(&o.holdMS, "hold-ms", 2, "switch test: the upstream holds each answer this many ms, so requests are in flight at each switch")
	flag.IntVar(&o.rounds, "rounds", 5, "overhead: rounds over direct, nginx, go-rp, router (compared round by round, medians reported)")
	flag.IntVar(&o.maxConns, "max-conns", 32, "overhead: wrk connections of the max-throughput runs")
	flag.DurationVar(&o.throughput, "throughput-duration", 5*time.Second, "overhead: max-throughput run per target and round")
	flag.DurationVar(&o.latencyDur, "latency-duration", 5*time.Second, "overhead: fixed-load latency run per target and round")
	flag.StringVar(&o.slipwayPath, "slipway", "", "slipway binary to test (default: build ./cmd/slipway)")
	flag.StringVar(&o.routerEnv, "router-env", "", "extra environment of the router process, comma-separated KEY=VALUE (e.g. GOGC=400)")
	flag.Parse()
	if o.quick {
		o.switchDur, o.baselineDur = 10*time.Second, 3*time.Second
		o.rounds, o.throughput, o.latencyDur = 2, 3*time.Second, 3*time.Second
	}
	if err := o.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "router bench:", err)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	failed, err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "router bench:", err)
		os.Exit(1)
	}
	if failed {
		os.Exit(1)
	}
}

func (o options) validate() error {
	var problems []string
	if o.rate < 1 {
		problems = append(problems, fmt.Sprintf("-rate %d: give a positive request rate", o.rate))
	}
	if o.conns < 2 || o.maxConns < 2 {
		problems = append(problems, "-conns and -max-conns: give at least 2 (wrk runs two threads)")
	}
	if o.rounds < 1 {
		problems = append(problems, fmt.Sprintf("-rounds %d: give at least 1", o.rounds))
	}
	if o.holdMS < 0 || o.holdMS > 1000 {
		problems = append(problems, fmt.Sprintf("-hold-ms %d: give 0 to 1000", o.holdMS))
	}
	if o.switchDur < time.Second || o.baselineDur < time.Second || o.throughput < time.Second || o.latencyDur < time.Second {
		problems = append(problems, "durations: give at least 1s (wrk counts whole seconds)")
	}
	if o.flipEvery <= 0 || o.flipEvery >= o.switchDur {
		problems = append(problems, fmt.Sprintf("-flip %s: give a positive interval shorter than -switch-duration", o.flipEvery))
	}
	if _, err := parseEnv(o.routerEnv); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// run does the whole benchmark; failed reports requests lost to switching.
func run(ctx context.Context, o options) (failed bool, err error) {
	wrkPath, err := lookTool("wrk")
	if err != nil {
		return false, err
	}
	nginxPath, err := lookTool("nginx")
	if err != nil {
		return false, err
	}
	dir, err := os.MkdirTemp("", "slipway-routerbench-")
	if err != nil {
		return false, fmt.Errorf("temp dir: %w", err)
	}
	defer func() {
		if o.keep || (err != nil && ctx.Err() == nil) {
			fmt.Fprintf(os.Stderr, "router bench: logs kept in %s\n", dir)
			return
		}
		os.RemoveAll(dir)
	}()
	ps := &procs{dir: dir}
	defer ps.stopAll()

	slipway, upstream, err := build(ctx, dir, o.slipwayPath)
	if err != nil {
		return false, err
	}
	fmt.Printf("router bench: %d CPUs shared by wrk, the proxy under test and the upstream; load average %s\n",
		runtime.NumCPU(), loadAvg())
	if o.routerEnv != "" {
		fmt.Printf("router bench: router environment %s\n", o.routerEnv)
	}
	a, err := startUpstream(ctx, ps, upstream, "A")
	if err != nil {
		return false, err
	}
	b, err := startUpstream(ctx, ps, upstream, "B")
	if err != nil {
		return false, err
	}
	routerEnv, _ := parseEnv(o.routerEnv) // validated
	routerURL, admin, routerProc, err := startRouter(ctx, ps, slipway, dir, routerEnv)
	if err != nil {
		return false, err
	}
	nginxURL, nginxProc, err := startNginx(ctx, ps, nginxPath, dir, a)
	if err != nil {
		return false, err
	}
	bareURL, bareProc, err := startBareProxy(ctx, ps, filepath.Join(dir, "bareproxy"), a)
	if err != nil {
		return false, err
	}
	w, err := newWrk(wrkPath, dir)
	if err != nil {
		return false, err
	}

	sw := switchRun{rate: o.rate, conns: o.conns, duration: o.switchDur, baseline: o.baselineDur,
		flipEvery: o.flipEvery, holdMS: o.holdMS}
	fmt.Printf("\nswitch test: wrk -t2 -c%d at ~%d req/s through the router (upstream holds each answer %d ms), %s without routing changes, then %s with a change every %s\n",
		sw.conns, sw.rate, sw.holdMS, sw.baseline, sw.duration, sw.flipEvery)
	rep, err := runSwitch(ctx, w, routerURL, admin, a, b, sw)
	if err != nil {
		return false, err
	}
	printSwitch(rep)

	// The overhead runs route everything to A, as the direct and nginx runs do.
	if _, err := admin.Apply(ctx, benchConfig(switchCycle(a, b)[0].backends)); err != nil {
		return false, fmt.Errorf("overhead: route to A: %w", err)
	}
	ov := overheadRun{rounds: o.rounds, throughput: o.throughput, latency: o.latencyDur, conns: o.maxConns}
	fmt.Printf("\noverhead: max throughput wrk -t2 -c%d -d%s; latency at a fixed load wrk -t1 -c%d, one request per connection every %d ms; %d round(s)\n",
		ov.conns, ov.throughput, latencyConns, latencyDelayMS, ov.rounds)
	ms, err := runOverhead(ctx, w, []target{
		{name: "direct", url: a}, {name: "nginx", url: nginxURL, proc: nginxProc},
		{name: "go-rp", url: bareURL, proc: bareProc}, {name: "router", url: routerURL, proc: routerProc},
	}, ov,
		func(line string) { fmt.Println("  " + line) })
	if err != nil {
		return false, err
	}
	addedP50, vsNginx := printOverhead(ms)

	fmt.Printf("\nrouter bench: load average %s at the end (other work on the machine skews every figure)\n", loadAvg())
	fmt.Printf("router: added_p50_us=%d throughput_vs_nginx=%.2f switch_errors=%d\n", addedP50, vsNginx, rep.errors())
	return rep.errors() > 0, nil
}

// parseEnv splits a comma-separated KEY=VALUE list.
func parseEnv(list string) ([]string, error) {
	if list == "" {
		return nil, nil
	}
	var env []string
	for _, kv := range strings.Split(list, ",") {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, fmt.Errorf("-router-env %q: give KEY=VALUE pairs separated by commas", list)
		}
		env = append(env, kv)
	}
	return env, nil
}

// loadAvg is the 1, 5 and 15 minute load average, or "unknown".
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// lookTool finds a Debian tool on PATH or in /usr/sbin.
func lookTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	if p := filepath.Join("/usr/sbin", name); isExec(p) {
		return p, nil
	}
	return "", fmt.Errorf("%s not found: install it (apt-get install -y wrk nginx) or run bench/router/run.sh, which does", name)
}

func isExec(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// build compiles slipway (unless given), the upstream and the bare proxy into dir.
func build(ctx context.Context, dir, slipway string) (string, string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", "", fmt.Errorf("find the module root: go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", "", errors.New("find the module root: run from inside the Slipway repository")
	}
	root := filepath.Dir(gomod)
	goBuild := func(outPath, pkg string) error {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", outPath, pkg)
		cmd.Dir = root
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", pkg, err, msg)
		}
		return nil
	}
	if slipway == "" {
		slipway = filepath.Join(dir, "slipway")
		if err := goBuild(slipway, "./cmd/slipway"); err != nil {
			return "", "", err
		}
	}
	upstream := filepath.Join(dir, "upstream")
	if err := goBuild(upstream, "./bench/router/upstream"); err != nil {
		return "", "", err
	}
	if err := goBuild(filepath.Join(dir, "bareproxy"), "./bench/router/bareproxy"); err != nil {
		return "", "", err
	}
	return slipway, upstream, nil
}
