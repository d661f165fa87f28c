// Package main (command detection) replays simulated canary traffic through
// Slipway's production decision - rollout.Assess, which the rollout controller calls
// at every read, over the rollout spec a deploy builds from slipway.yaml with the
// product's defaults, judged against a baseline (the default) and against the
// stable version (the fallback) - and through Flagger's default analysis, and prints how often
// each rolls back a healthy candidate and, for bad ones, how fast and after how many
// failed requests.
//
//	go run ./bench/detection -quick   # fewer runs
//	go run ./bench/detection          # 1000 runs per healthy scenario
//
// Traffic is drawn per second with a seeded PRNG (PCG): Poisson arrivals per version,
// binomial errors, log-normal latencies counted in the router's buckets, optional
// routes, outages shared by both versions and a cold start of the candidate. Each
// algorithm replays a run from the same seed.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"regexp"
	"runtime"
	"sync"
	"time"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/router"
)

// defaultsYAML is the README's configuration with every other field at its default:
// steps 5 25 50 100, bake 10m, interval 1s (router provider), min-requests 50,
// alpha 0.01, low-traffic extend.
const defaultsYAML = `service: bench
build: {main: ./cmd/bench}
pipelines:
  main:
    steps: [{name: test, run: go test ./...}]
environments:
  - name: prod
    rollout:
      analysis:
        checks:
          - {metric: error-rate, max: "1%"}
          - {metric: latency-p95, max: 250ms, max-vs-stable: 2}
          - {metric: critical-logs, max-vs-stable: 3}
          - {metric: memory, max: 512Mi}
`

// scenario is one kind of candidate, judged over many runs.
type scenario struct {
	id      uint64
	name    string
	healthy bool // A/A: a rollback is false
	w       world
	// firstStep overrides the spec's first weight (percent); 0 keeps it.
	firstStep int
	runs      int
}

type options struct {
	quick  bool
	seed   uint64
	aaRuns int
	bugRun int
	// noFallback leaves out the replay judged against the stable version.
	noFallback bool
	// only selects scenarios by name (a regular expression); empty runs all.
	only string
}

func main() {
	var o options
	flag.BoolVar(&o.quick, "quick", false, "fewer runs")
	flag.Uint64Var(&o.seed, "seed", 1, "PRNG seed; the same seed replays the same traffic")
	flag.IntVar(&o.aaRuns, "aa-runs", 0, "runs of each healthy scenario (default 200 quick, 1000 full)")
	flag.IntVar(&o.bugRun, "bug-runs", 0, "runs of each bad scenario (default 100 quick, 500 full)")
	flag.BoolVar(&o.noFallback, "no-fallback", false, "leave out the column judged without a baseline (halves the time)")
	flag.StringVar(&o.only, "only", "", "run only the scenarios whose name matches this regular expression")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "detection:", err)
		os.Exit(1)
	}
}

// Latency of a healthy version: median 40 ms, log-sd 0.6 (p95 107 ms, p99 161 ms).
var base = profile{median: 0.040, sigma: 0.6}

func errs(p profile, rate float64) profile { p.errRate = rate; return p }

func scenarios(o options) []scenario {
	aa, bug := o.aaRuns, o.bugRun
	at := func(rate float64) world { return world{rate: rate, cand: errs(base, 0.005), stable: errs(base, 0.005)} }
	slow := base
	slow.slowShare, slow.slowBy = 0.15, 0.3
	story := world{rate: 200, cand: errs(base, 0.02), stable: base}
	return []scenario{
		{1, "A/A 0.1% errors", true, world{rate: 200, cand: errs(base, 0.001), stable: errs(base, 0.001)}, 0, aa},
		{2, "A/A 0.5% errors", true, at(200), 0, aa},
		{3, "A/A 2% errors", true, world{rate: 200, cand: errs(base, 0.02), stable: errs(base, 0.02)}, 0, aa},
		{4, "A/A 0.5% + shared outages (30% errors, 10s, every ~5min)", true,
			world{rate: 200, cand: errs(base, 0.005), stable: errs(base, 0.005), outageEvery: 300, outageLen: 10, outageRate: 0.3}, 0, aa},
		{5, "A/A 0.5% + candidate cold start (x4 latency, 20s)", true,
			world{rate: 200, cand: errs(base, 0.005), stable: errs(base, 0.005), coldFor: 20, coldFactor: 4}, 0, aa},
		{6, "A/A 0.5% at 50 req/s", true, at(50), 0, aa},
		{7, "A/A 0.5% at 1000 req/s", true, at(1000), 0, aa},
		{8, "A/A 0.5%, 1% first step", true, at(200), 1, aa},
		{9, "A/A 0.5%, ten routes", true, world{rate: 200, cand: errs(base, 0.005), stable: errs(base, 0.005), routes: 10}, 0, aa},
		{10, "story bug: 2% errors, stable 0%, 200 req/s", false, story, 0, bug},
		{11, "story bug at 50 req/s", false, world{rate: 50, cand: errs(base, 0.02), stable: base}, 0, bug},
		{12, "story bug at 1000 req/s", false, world{rate: 1000, cand: errs(base, 0.02), stable: base}, 0, bug},
		{13, "latency +300ms on 15% of requests", false, world{rate: 200, cand: errs(slow, 0.005), stable: errs(base, 0.005)}, 0, bug},
		{14, "one route of ten fails 20%, stable 0.5%", false,
			world{rate: 200, cand: errs(base, 0.005), stable: errs(base, 0.005), routes: 10, badRoute: 3, badRouteRate: 0.2}, 0, bug},
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
	pick(&o.aaRuns, 200, 1000)
	pick(&o.bugRun, 100, 500)
}

// defaultSpec is the spec a deploy builds for the README's configuration.
func defaultSpec() (rollout.Spec, error) {
	cfg, err := config.Parse("slipway.yaml", []byte(defaultsYAML))
	if err != nil {
		return rollout.Spec{}, err
	}
	return deploy.RolloutSpec(cfg.Service, &cfg.Environments[0], false)
}

func run(ctx context.Context, w io.Writer, o options) error {
	o.setDefaults()
	spec, err := defaultSpec()
	if err != nil {
		return fmt.Errorf("default rollout: %w", err)
	}
	// A healthy rollout takes 3 bakes plus at most the low-traffic extension.
	horizon := int((time.Duration(len(spec.Steps)-1)*spec.Bake + spec.Judge.MaxExtension + 2*time.Minute).Seconds())
	mode := "full"
	if o.quick {
		mode = "quick"
	}
	fmt.Fprintf(w, "detection benchmark (%s, seed %d): the production decision (rollout.Assess) at the defaults:\n", mode, o.seed)
	fmt.Fprintf(w, "  steps %v, bake %s, interval %s, min-requests %d, alpha %g, checks: error-rate<=1%%, latency-p95<=250ms and <=2x stable, critical-logs<=3x stable, memory<=512Mi\n",
		spec.Steps, spec.Bake, spec.Interval, spec.Criteria.MinRequests, spec.Judge.Alpha)
	fmt.Fprintf(w, "  flagger default: interval 60s, threshold 1, request-success-rate >= 99%%, candidate at the first weight\n")
	fmt.Fprintf(w, "  healthy runs last the whole rollout (up to %ds); candidate weight 5%% unless said; latency log-normal median 40ms\n", horizon)
	fmt.Fprintf(w, "  slipway (baseline), the default: a fresh stable instance takes the candidate's share and the candidate is judged against it;\n")
	fmt.Fprintf(w, "  slipway, no baseline: judged against the stable version, latency after a warm-up (baseline: false, or none could start)\n\n")
	fmt.Fprintf(w, "%-58s %6s  %-22s %-22s %-22s\n", "scenario", "runs", "slipway (baseline)", "slipway, no baseline", "flagger default")
	fmt.Fprintf(w, "%-58s %6s  %-22s %-22s %-22s\n", "", "", "false rb | failed, s", "false rb | failed, s", "false rb | failed, s")

	start := time.Now()
	worstRate, worstFallback, storyS, storyF := 0.0, 0.0, 0.0, 0.0
	bounds := router.DurationBuckets()
	only, err := regexp.Compile(o.only)
	if err != nil {
		return fmt.Errorf("-only %q: %w", o.only, err)
	}
	for _, sc := range scenarios(o) {
		if !only.MatchString(sc.name) {
			continue
		}
		sp := spec
		if sc.firstStep > 0 {
			sp.Steps = append([]int{sc.firstStep}, spec.Steps[1:]...)
		}
		weight := float64(sp.Steps[0]) / 100
		withBaseline := sp
		withBaseline.Stable = rollout.NewRelease("stable", "sha256:s", "http://stable")
		withBaseline.Baseline = rollout.NewRelease("stable", "sha256:s", "http://baseline")
		algs := []algorithm{
			slipway{label: "slipway", spec: withBaseline, horizon: horizon},
			slipway{label: "slipway without baseline", spec: sp, horizon: horizon},
			flagger{interval: 60, threshold: 1, minSuccess: 99, weight: weight, horizon: horizon},
		}
		if o.noFallback {
			algs[1] = skipped{}
		}
		ts, err := replayAll(ctx, o.seed, sc, bounds, horizon, algs)
		if err != nil {
			return err
		}
		cells := make([]string, len(algs))
		for a := range algs {
			if _, ok := algs[a].(skipped); ok {
				cells[a] = "-"
				continue
			}
			if sc.healthy {
				cells[a] = fmt.Sprintf("%.2f%% (%d)", 100*ts[a].rate(), ts[a].rolledBack)
			} else {
				at := summarize(ts[a].at)
				cells[a] = fmt.Sprintf("%5.1f | %5s s (%d%%)", summarize(ts[a].failed).mean, num(at.mean, 0), int(math.Round(100*ts[a].rate())))
			}
		}
		fmt.Fprintf(w, "%-58s %6d  %-22s %-22s %-22s\n", sc.name, sc.runs, cells[0], cells[1], cells[2])
		if sc.healthy {
			worstRate = math.Max(worstRate, ts[0].rate())
			worstFallback = math.Max(worstFallback, ts[1].rate())
		}
		if sc.id == 10 {
			storyS, storyF = summarize(ts[0].failed).mean, summarize(ts[2].failed).mean
		}
	}
	ratio := storyF / storyS
	fmt.Fprintf(w, "\nbad scenarios: mean failed requests | mean time to rollback (share of runs rolled back)\n")
	fallback := fmt.Sprintf("%.2f%% without baseline", 100*worstFallback)
	if o.noFallback {
		fallback = "without baseline not run"
	}
	fmt.Fprintf(w, "goal >= 10x fewer failed requests than flagger on the story bug: %s (%.1fx); goal false rollbacks <= 1%% in every A/A scenario: %s (worst %.2f%%; %s)\n",
		metOrNot(ratio >= 10), ratio, metOrNot(worstRate <= 0.01), 100*worstRate, fallback)
	fmt.Fprintf(w, "elapsed %s on %d CPUs\n", time.Since(start).Round(100*time.Millisecond), runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "detection: failed_requests slipway=%.2f flagger_default=%.2f ratio=%.1f false_rollback_rate=%.4f\n",
		storyS, storyF, ratio, worstRate)
	return nil
}

func metOrNot(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
}

// replayAll replays every run of a scenario through every algorithm, each from the
// same seed. Runs are spread over the CPUs; results do not depend on scheduling.
func replayAll(ctx context.Context, seed uint64, sc scenario, bounds []float64, horizon int, algs []algorithm) ([]tally, error) {
	results := make([][]outcome, sc.runs)
	errs := make([]error, sc.runs)
	next := make(chan int)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for i := range next {
				results[i] = make([]outcome, len(algs))
				for a, alg := range algs {
					rng := rand.New(rand.NewPCG(seed, sc.id<<32|uint64(i)))
					w := sc.w
					results[i][a], errs[i] = alg.replay(w.newRun(rng, bounds, horizon))
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

func num(v float64, prec int) string {
	if math.IsNaN(v) {
		return "-"
	}
	return fmt.Sprintf("%.*f", prec, v)
}
