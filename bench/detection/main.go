// Package main (command detection) replays the same simulated canary traffic through Slipway's
// sequential judge and through Flagger's default analysis, and prints how fast each
// rolls back a bad candidate, how many failed requests users got before it did, and
// how often each rolls back a healthy one.
//
//	go run ./bench/detection -quick   # under a minute
//	go run ./bench/detection          # more runs
//
// Traffic is an event-level simulation with a seeded PRNG (PCG): Poisson arrivals,
// a Bernoulli route to the candidate, Bernoulli errors per version, log-normal
// latencies bucketed with the router's bounds. Each run is generated once and
// replayed through every algorithm, so they judge identical requests. The candidate
// keeps the same weight for the whole run under every algorithm (Flagger would raise
// it after each passing check, which would only add to its failed requests).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/router"
)

// scenario is one kind of candidate, judged over many runs.
type scenario struct {
	id      uint64
	name    string
	cand    profile
	stable  profile
	horizon time.Duration
	runs    int
}

type options struct {
	quick       bool
	seed        uint64
	tick        time.Duration
	alpha       float64
	rate        float64
	weight      float64
	storyRuns   int
	aaRuns      int
	latencyRuns int
}

func main() {
	var o options
	flag.BoolVar(&o.quick, "quick", false, "fewer runs (under a minute)")
	flag.Uint64Var(&o.seed, "seed", 1, "PRNG seed; the same seed replays the same traffic")
	flag.DurationVar(&o.tick, "tick", time.Second, "how often Slipway scrapes the router and asks the judge")
	flag.Float64Var(&o.alpha, "alpha", analysis.DefaultAlpha, "Slipway's false-rollback bound")
	flag.Float64Var(&o.rate, "rate", 200, "requests per second, both versions")
	flag.Float64Var(&o.weight, "weight", 0.05, "candidate's share of traffic")
	flag.IntVar(&o.storyRuns, "story-runs", 0, "runs of the story's bug (default 300 quick, 2000 full)")
	flag.IntVar(&o.aaRuns, "aa-runs", 0, "healthy A/A runs (default 1000 quick, 5000 full)")
	flag.IntVar(&o.latencyRuns, "latency-runs", 0, "runs of the latency-only regression (default 200 quick, 1000 full)")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "detection: cpu profile:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(context.Background(), os.Stdout, o); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "detection:", err)
		os.Exit(1)
	}
}

func (o *options) setDefaults() {
	pick := func(v *int, quick, full int) {
		if *v <= 0 {
			*v = full
			if o.quick {
				*v = quick
			}
		}
	}
	pick(&o.storyRuns, 300, 2000)
	pick(&o.aaRuns, 1000, 5000)
	pick(&o.latencyRuns, 200, 1000)
}

func (o options) validate() error {
	ticks := o.tick.Seconds() / binWidth
	switch {
	case o.tick <= 0 || math.Abs(ticks-math.Round(ticks)) > 1e-9:
		return fmt.Errorf("tick %s: want a positive multiple of %gs", o.tick, binWidth)
	case !(o.alpha > 0 && o.alpha < 1):
		return fmt.Errorf("alpha %v: want a probability in (0, 1)", o.alpha)
	case !(o.rate > 0):
		return fmt.Errorf("rate %v: want requests per second > 0", o.rate)
	case !(o.weight > 0 && o.weight < 1):
		return fmt.Errorf("weight %v: want a share in (0, 1)", o.weight)
	}
	return nil
}

// Latency of a healthy version: median 40 ms, log-sd 0.6 (p95 107 ms, p99 161 ms).
var baseLatency = profile{median: 0.040, sigma: 0.6}

func withErrors(p profile, rate float64) profile { p.errRate = rate; return p }

func run(ctx context.Context, w io.Writer, o options) error {
	o.setDefaults()
	if err := o.validate(); err != nil {
		return err
	}
	slow := baseLatency
	slow.median *= 2
	story := scenario{1, "story bug: candidate fails 2% of requests, stable 0%", withErrors(baseLatency, 0.02), baseLatency, 15 * time.Minute, o.storyRuns}
	aa := scenario{2, "healthy A/A: both versions 0.5% errors, same latency", withErrors(baseLatency, 0.005), withErrors(baseLatency, 0.005), 10 * time.Minute, o.aaRuns}
	lat := scenario{3, "latency-only regression: candidate latency x2, no errors", slow, baseLatency, 15 * time.Minute, o.latencyRuns}

	judge := analysis.Sequential{Alpha: o.alpha}
	main := slipway{label: fmt.Sprintf("slipway tick=%s", o.tick), judge: judge, tick: o.tick.Seconds()}
	// algs[0] is Slipway as configured and algs[1] Flagger's default; the last line
	// compares them.
	algs := []algorithm{
		main,
		flagger{interval: 60, threshold: 1, minSuccess: 99},
		flagger{interval: 60, threshold: 5, minSuccess: 99},
		flagger{interval: 60, threshold: 10, minSuccess: 99},
		slipway{label: "slipway tick=10s", judge: judge, tick: 10},
	}
	if !o.quick {
		algs = append(algs, slipway{label: "slipway alpha=0.001", judge: analysis.Sequential{Alpha: 0.001}, tick: o.tick.Seconds()})
	}
	latAlgs := append(algs[:len(algs):len(algs)], flagger{interval: 60, threshold: 1, minSuccess: 99, maxP99: 0.5})
	m := mix{rate: o.rate, weight: o.weight}

	mode := "full"
	if o.quick {
		mode = "quick"
	}
	fmt.Fprintf(w, "detection benchmark (%s, seed %d): %.0f req/s, candidate weight %.0f%% for the whole run\n", mode, o.seed, o.rate, 100*o.weight)
	fmt.Fprintf(w, "slipway: sequential judge, alpha %g, router scraped every %s, rolls back at the scrape where the evidence suffices\n", o.alpha, o.tick)
	fmt.Fprintf(w, "flagger: interval 60s, request-success-rate >= 99%% over the last interval; first check one interval after traffic starts,\n")
	fmt.Fprintf(w, "  rollback at the tick after the failed checks reach threshold (its scheduler checks the counter before analysing)\n")
	fmt.Fprintf(w, "latency: log-normal, median %.0fms, log-sd %.1f, in the router's buckets; failed requests = candidate 5xx served before the rollback\n\n",
		baseLatency.median*1000, baseLatency.sigma)

	start := time.Now()
	storyT, err := replayAll(ctx, o.seed, story, m, algs)
	if err != nil {
		return err
	}
	printTable(w, story, algs, storyT)
	slipFailed := summarize(storyT[0].failed).mean
	defFailed := summarize(storyT[1].failed).mean
	fmt.Fprintf(w, "failed requests flagger/slipway: threshold=1 %.1fx, threshold=5 %.1fx, threshold=10 %.1fx\n\n",
		defFailed/slipFailed, summarize(storyT[2].failed).mean/slipFailed, summarize(storyT[3].failed).mean/slipFailed)

	aaT, err := replayAll(ctx, o.seed, aa, m, algs)
	if err != nil {
		return err
	}
	printRates(w, aa, algs, aaT)

	latT, err := replayAll(ctx, o.seed, lat, m, latAlgs)
	if err != nil {
		return err
	}
	printTable(w, lat, latAlgs, latT)

	ratio := defFailed / slipFailed
	verdict := "met"
	if ratio < 10 {
		verdict = "NOT met"
	}
	fmt.Fprintf(w, "goal >= 10x fewer failed requests than flagger threshold=1: %s (%.1fx); goal false rollbacks <= 1%%: %s (%.2f%%)\n",
		verdict, ratio, metOrNot(aaT[0].rate() <= 0.01), 100*aaT[0].rate())
	fmt.Fprintf(w, "elapsed %s on %d CPUs\n", time.Since(start).Round(100*time.Millisecond), runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "detection: failed_requests slipway=%.2f flagger_default=%.2f ratio=%.1f false_rollback_rate=%.4f\n",
		slipFailed, defFailed, ratio, aaT[0].rate())
	return nil
}

func metOrNot(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// replayAll generates every run of a scenario once and replays it through every
// algorithm. Runs are spread over the CPUs; each run's traffic depends only on the
// seed, the scenario and the run number, so results do not depend on scheduling.
func replayAll(ctx context.Context, seed uint64, sc scenario, m mix, algs []algorithm) ([]tally, error) {
	results := make([][]outcome, sc.runs)
	errs := make([]error, sc.runs)
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			rec := newRecording(router.DurationBuckets(), sc.horizon.Seconds())
			for i := range next {
				rng := rand.New(rand.NewPCG(seed, sc.id<<32|uint64(i)))
				rec.simulate(rng, m, sc.cand, sc.stable)
				results[i] = make([]outcome, len(algs))
				for a, alg := range algs {
					results[i][a], errs[i] = alg.replay(rec)
					if errs[i] != nil {
						break
					}
				}
			}
		})
	}
	for i := range sc.runs {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	tallies := make([]tally, len(algs))
	for i := range results {
		if errs[i] != nil {
			return nil, fmt.Errorf("%s run %d: %w", sc.name, i, errs[i])
		}
		for a, o := range results[i] {
			tallies[a].add(o)
		}
	}
	return tallies, nil
}

func printTable(w io.Writer, sc scenario, algs []algorithm, ts []tally) {
	fmt.Fprintf(w, "%s (%d runs, horizon %s)\n", sc.name, sc.runs, sc.horizon)
	fmt.Fprintf(w, "  %-32s %10s  %27s  %27s\n", "algorithm", "rollbacks", "time to rollback s mean/p50/p95", "failed requests mean/p50/p95")
	for a, alg := range algs {
		at, f := summarize(ts[a].at), summarize(ts[a].failed)
		fmt.Fprintf(w, "  %-32s %10s  %9s %8s %8s  %9.2f %8.0f %8.0f\n", alg.name(), fmt.Sprintf("%d/%d", ts[a].rolledBack, ts[a].runs),
			num(at.mean, 1), num(at.p50, 0), num(at.p95, 0), f.mean, f.p50, f.p95)
	}
}

func printRates(w io.Writer, sc scenario, algs []algorithm, ts []tally) {
	fmt.Fprintf(w, "%s (%d runs, horizon %s)\n", sc.name, sc.runs, sc.horizon)
	fmt.Fprintf(w, "  %-32s %16s  %s\n", "algorithm", "false rollbacks", "rate")
	for a, alg := range algs {
		fmt.Fprintf(w, "  %-32s %16s  %.2f%%\n", alg.name(), fmt.Sprintf("%d/%d", ts[a].rolledBack, ts[a].runs), 100*ts[a].rate())
	}
	fmt.Fprintln(w)
}

func num(v float64, prec int) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.*f", prec, v)
}
