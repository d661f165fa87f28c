// Package main (command aa) checks canary analysis on real processes: it rolls
// quote-api out again and again through Slipway's router and rollout controller -
// real instances, real HTTP, the production decision at quote-api's slipway.yaml -
// with two builds of the same code (A/A: every rollback is a false one) and then
// with a real latency regression (every one should be rolled back).
//
// Both builds serve the same background error rate and latency jitter (quote-api's
// fault setting), and several lanes - each its own router, stable instance, users
// and rollouts - run at once, so rollouts overlap as on a busy machine. run.sh adds
// CPU hogs and a build loop around it. Each rollout starts a baseline of the stable
// build beside the candidate, as deploys do, unless -baseline=false.
//
//	go run ./bench/aa -runs 30 -regressions 10
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/rollout"
)

type options struct {
	src         string
	runs        int
	regressions int
	lanes       int
	rate        float64
	errorRate   string
	jitter      string
	baseline    bool
}

func main() {
	var o options
	flag.StringVar(&o.src, "quote-api", "examples/quote-api", "the quote-api source tree (its slipway.yaml gives the rollout)")
	flag.IntVar(&o.runs, "runs", 30, "A/A rollouts: two builds of the same code")
	flag.IntVar(&o.regressions, "regressions", 10, "rollouts of a build with a real latency regression (_changes/02)")
	flag.IntVar(&o.lanes, "lanes", 2, "environments rolling out at the same time")
	flag.Float64Var(&o.rate, "rate", 60, "requests per second each lane's users send")
	flag.StringVar(&o.errorRate, "error-rate", "0.005", "background error rate every build serves (QUOTE_API_FAULT_ERROR_RATE)")
	flag.StringVar(&o.jitter, "jitter", "20ms", "latency jitter every build adds (QUOTE_API_FAULT_JITTER)")
	flag.BoolVar(&o.baseline, "baseline", true, "start a baseline of the stable build beside each candidate")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "aa:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, w io.Writer, o options) error {
	if o.runs < 0 || o.regressions < 0 || o.lanes < 1 || o.rate <= 0 {
		return errors.New("want -runs and -regressions >= 0, -lanes >= 1 and -rate > 0")
	}
	dir, err := os.MkdirTemp("", "slipway-aa-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	os.Setenv("QUOTE_API_FAULT_ERROR_RATE", o.errorRate) // instances inherit it
	os.Setenv("QUOTE_API_FAULT_JITTER", o.jitter)
	spec, err := quoteSpec(o.src)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "aa: building quote-api 1.0.0, 1.0.1 (same code) and 1.1.0 (_changes 01+02: quotes 250-300ms slower)\n")
	stable, same, slow, err := buildAll(ctx, o.src, dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "aa: %d lanes at %.0f req/s each; faults %s errors, %s jitter in every build; steps %v, bake %s, interval %s; baseline %v\n",
		o.lanes, o.rate, o.errorRate, o.jitter, spec.Steps, spec.Bake, spec.Interval, o.baseline)
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lanes := make([]*lane, o.lanes)
	for i := range lanes {
		sp := spec
		sp.Env = fmt.Sprintf("prod-%d", i+1)
		if lanes[i], err = newLane(lctx, sp.Env, filepath.Join(dir, sp.Env), sp, stable, o.rate); err != nil {
			return fmt.Errorf("lane %s: %w", sp.Env, err)
		}
		defer lanes[i].close(ctx)
	}
	time.Sleep(5 * time.Second) // the stable serves a while before the first candidate, as in production
	load := sampleLoad(lctx)
	aa, err := runAll(ctx, w, lanes, o.runs, stable, same, o.baseline)
	if err != nil {
		return err
	}
	bad, err := runAll(ctx, w, lanes, o.regressions, stable, slow, o.baseline)
	if err != nil {
		return err
	}
	cancel()
	l := <-load
	report(w, aa, bad, l)
	return nil
}

// runAll runs n rollouts of cand over the lanes, each lane one rollout at a time.
func runAll(ctx context.Context, w io.Writer, lanes []*lane, n int, stable, cand build, baseline bool) ([]outcome, error) {
	out := make([]outcome, n)
	errs := make([]error, n)
	next := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, l := range lanes {
		wg.Go(func() {
			for i := range next {
				out[i], errs[i] = l.rollout(ctx, stable, cand, baseline)
				mu.Lock()
				fmt.Fprintf(w, "  %-7s %s -> %s #%d: %s in %s, %.0f failed requests; %s\n", l.name, stable.version, cand.version, i+1,
					out[i].phase, out[i].took.Round(100*time.Millisecond), out[i].failed, short(out[i].reason, errs[i]))
				mu.Unlock()
			}
		})
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return out, errors.Join(append(errs, ctx.Err())...)
}

func short(reason string, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	if len(reason) > 140 {
		return reason[:140] + "..."
	}
	return reason
}

// quoteSpec is the rollout a deploy of quote-api to prod takes.
func quoteSpec(src string) (rollout.Spec, error) {
	path := filepath.Join(src, "slipway.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		return rollout.Spec{}, err
	}
	cfg, err := config.Parse(path, b)
	if err != nil {
		return rollout.Spec{}, err
	}
	env, ok := cfg.Env("prod")
	if !ok {
		return rollout.Spec{}, fmt.Errorf("%s has no prod environment", path)
	}
	return deploy.RolloutSpec(cfg.Service, env, false)
}

func report(w io.Writer, aa, bad []outcome, l loadStats) {
	count := func(os []outcome, p rollout.Phase) (n int, took []time.Duration, failed float64) {
		for _, o := range os {
			if o.phase == p {
				n++
				took = append(took, o.took)
				failed += o.failed
			}
		}
		return n, took, failed
	}
	fa, _, _ := count(aa, rollout.RolledBack)
	fmt.Fprintf(w, "\nA/A (same code, same faults): %d rollouts, %d false rollbacks\n", len(aa), fa)
	for _, o := range aa {
		if o.phase == rollout.RolledBack {
			fmt.Fprintf(w, "  false rollback: %s\n", o.reason)
		}
	}
	caught, took, failed := count(bad, rollout.RolledBack)
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	med := time.Duration(0)
	if len(took) > 0 {
		med = took[len(took)/2]
	}
	fmt.Fprintf(w, "regression (+250-300ms): %d rollouts, %d rolled back (median %s to rollback, %.1f failed requests each)\n",
		len(bad), caught, med.Round(100*time.Millisecond), failed/float64(max(caught, 1)))
	fmt.Fprintf(w, "load average during the runs (1 min, %d samples): min %.1f, mean %.1f, max %.1f\n", l.n, l.min, l.mean, l.max)
	fmt.Fprintf(w, "aa: false_rollbacks=%d/%d caught=%d/%d load_mean=%.1f\n", fa, len(aa), caught, len(bad), l.mean)
}
