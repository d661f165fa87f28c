package main

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// target is one way to reach the upstream.
type target struct {
	name string
	url  string // base URL
	proc *proc  // the proxy's process (group), whose CPU time is counted; nil for direct
}

// overheadRun configures the overhead measurement.
type overheadRun struct {
	rounds     int           // each round measures every target once; medians are kept
	throughput time.Duration // max-throughput run: wrk -t2 -c32
	latency    time.Duration // fixed moderate load: wrk -t1 -c4, one request per connection every 4 ms
	conns      int           // max-throughput connections
}

// latencyConns and latencyDelayMS give the fixed moderate load of the latency runs:
// about 4 connections / 4 ms = 1,000 requests per second, far below saturation, so
// percentiles show the time a request spends, not queueing.
const (
	latencyConns   = 4
	latencyDelayMS = 4
)

// measurement holds one target's results, one entry per round.
type measurement struct {
	target
	rps, fixedRPS                      []float64 // achieved rates: max throughput, fixed load
	cpuPerReq                          []float64 // proxy CPU (user+system) per request at max throughput, us
	thrP50, thrP99, fixedP50, fixedP99 []int64   // latency percentiles, us
	errors                             int64     // non-2xx and socket errors over every run
}

// runOverhead measures every target once per round, rotating which goes first, so a
// neighbour's burst on the shared cores hits all of them alike; comparisons are
// then made round by round.
func runOverhead(ctx context.Context, w *wrk, targets []target, o overheadRun, progress func(string)) ([]measurement, error) {
	for _, t := range targets { // warm connection pools, caches and the Go heap
		if _, err := w.run(ctx, "warmup-"+t.name, wrkRun{Threads: 2, Conns: o.conns, Duration: time.Second, URL: t.url + benchPath}); err != nil {
			return nil, err
		}
	}
	ms := make([]measurement, len(targets))
	for i, t := range targets {
		ms[i].target = t
	}
	for round := 1; round <= o.rounds; round++ {
		for k := range targets {
			i := (k + round - 1) % len(targets)
			t, m := targets[i], &ms[i]
			label := fmt.Sprintf("%s-max-%d", t.name, round)
			cpu0, err := t.cpu()
			if err != nil {
				return nil, err
			}
			thr, err := w.run(ctx, label, wrkRun{Threads: 2, Conns: o.conns, Duration: o.throughput, URL: t.url + benchPath})
			if err != nil {
				return nil, err
			}
			cpu1, err := t.cpu()
			if err != nil {
				return nil, err
			}
			if t.proc != nil {
				m.cpuPerReq = append(m.cpuPerReq, float64((cpu1-cpu0).Microseconds())/float64(thr.Requests))
			}
			label = fmt.Sprintf("%s-fixed-%d", t.name, round)
			fix, err := w.run(ctx, label, wrkRun{Threads: 1, Conns: latencyConns, Duration: o.latency,
				DelayMS: latencyDelayMS, URL: t.url + benchPath})
			if err != nil {
				return nil, err
			}
			m.rps = append(m.rps, thr.RPS())
			m.thrP50 = append(m.thrP50, thr.LatencyUS.P50)
			m.thrP99 = append(m.thrP99, thr.LatencyUS.P99)
			m.fixedRPS = append(m.fixedRPS, fix.RPS())
			m.fixedP50 = append(m.fixedP50, fix.LatencyUS.P50)
			m.fixedP99 = append(m.fixedP99, fix.LatencyUS.P99)
			m.errors += thr.Errors.Status + thr.SocketErrors() + fix.Errors.Status + fix.SocketErrors()
			progress(fmt.Sprintf("round %d/%d %-6s %8.0f req/s  p50 %5d us at max, %4d us at %.0f req/s",
				round, o.rounds, t.name, thr.RPS(), thr.LatencyUS.P50, fix.LatencyUS.P50, fix.RPS()))
		}
	}
	return ms, nil
}

// cpu is the CPU time the target's proxy has used so far; zero for direct.
func (t target) cpu() (time.Duration, error) {
	if t.proc == nil {
		return 0, nil
	}
	return groupCPU(t.proc.cmd.Process.Pid)
}

// pairedRatio is the median over rounds of a[i]/b[i].
func pairedRatio(a, b []float64) float64 {
	var rs []float64
	for i := range min(len(a), len(b)) {
		if b[i] > 0 {
			rs = append(rs, a[i]/b[i])
		}
	}
	return median(rs)
}

// pairedDiff is the median over rounds of a[i]-b[i].
func pairedDiff(a, b []int64) int64 {
	var ds []int64
	for i := range min(len(a), len(b)) {
		ds = append(ds, a[i]-b[i])
	}
	return median(ds)
}

// median returns the middle value (the lower middle of an even count).
func median[T int64 | float64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}
