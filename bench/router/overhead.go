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

// measurement is the medians over the rounds of one target.
type measurement struct {
	target
	rps                float64 // max throughput
	thrP50, thrP99     int64   // latency at max throughput, us
	fixedP50, fixedP99 int64   // latency at the fixed moderate load, us
	fixedRPS           float64
	errors             int64 // non-2xx and socket errors over every run
}

// runOverhead measures every target in turn, round after round, so a neighbour's
// burst on the shared cores hits all of them alike, and keeps the medians.
func runOverhead(ctx context.Context, w *wrk, targets []target, o overheadRun, progress func(string)) ([]measurement, error) {
	for _, t := range targets { // warm connection pools, caches and the Go heap
		if _, err := w.run(ctx, "warmup-"+t.name, wrkRun{Threads: 2, Conns: o.conns, Duration: time.Second, URL: t.url + benchPath}); err != nil {
			return nil, err
		}
	}
	type samples struct {
		rps, fixedRPS                      []float64
		thrP50, thrP99, fixedP50, fixedP99 []int64
		errors                             int64
	}
	all := make([]samples, len(targets))
	for round := 1; round <= o.rounds; round++ {
		for i, t := range targets {
			label := fmt.Sprintf("%s-max-%d", t.name, round)
			thr, err := w.run(ctx, label, wrkRun{Threads: 2, Conns: o.conns, Duration: o.throughput, URL: t.url + benchPath})
			if err != nil {
				return nil, err
			}
			label = fmt.Sprintf("%s-fixed-%d", t.name, round)
			fix, err := w.run(ctx, label, wrkRun{Threads: 1, Conns: latencyConns, Duration: o.latency,
				DelayMS: latencyDelayMS, URL: t.url + benchPath})
			if err != nil {
				return nil, err
			}
			s := &all[i]
			s.rps = append(s.rps, thr.RPS())
			s.thrP50 = append(s.thrP50, thr.LatencyUS.P50)
			s.thrP99 = append(s.thrP99, thr.LatencyUS.P99)
			s.fixedRPS = append(s.fixedRPS, fix.RPS())
			s.fixedP50 = append(s.fixedP50, fix.LatencyUS.P50)
			s.fixedP99 = append(s.fixedP99, fix.LatencyUS.P99)
			s.errors += thr.Errors.Status + thr.SocketErrors() + fix.Errors.Status + fix.SocketErrors()
			progress(fmt.Sprintf("round %d/%d %-6s %8.0f req/s  p50 %5d us at max, %4d us at %.0f req/s",
				round, o.rounds, t.name, thr.RPS(), thr.LatencyUS.P50, fix.LatencyUS.P50, fix.RPS()))
		}
	}
	out := make([]measurement, len(targets))
	for i, t := range targets {
		s := all[i]
		out[i] = measurement{
			target: t, rps: median(s.rps), fixedRPS: median(s.fixedRPS),
			thrP50: median(s.thrP50), thrP99: median(s.thrP99),
			fixedP50: median(s.fixedP50), fixedP99: median(s.fixedP99),
			errors: s.errors,
		}
	}
	return out, nil
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
