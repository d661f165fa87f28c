package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/analysis/compose"
	"github.com/slipway/slipway/internal/analysis/process"
	routermetrics "github.com/slipway/slipway/internal/analysis/router"
	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/router"
	"github.com/slipway/slipway/internal/runtime"
	"github.com/slipway/slipway/internal/runtime/local"
	"github.com/slipway/slipway/internal/store"
)

// lane is one environment: a router on loopback, the stable instance behind it,
// users sending traffic, and the rollouts it runs one after the other.
type lane struct {
	name   string
	spec   rollout.Spec // from slipway.yaml, without releases
	target *local.Target
	dir    string
	rt     *router.Router
	data   string // the router's data plane URL
	ctl    *rollout.Controller
	stable runtime.Instance

	mu       sync.Mutex
	pending  []runtime.Instance // the candidate's
	baseline []runtime.Instance
	served   atomic.Int64
}

// newLane starts a router serving stable and users sending rate requests a second.
func newLane(ctx context.Context, name, dir string, spec rollout.Spec, stable build, rate float64) (*lane, error) {
	l := &lane{name: name, spec: spec, target: &local.Target{StartTimeout: time.Minute, Grace: 2 * time.Second}, dir: dir}
	var err error
	if l.rt, err = router.New(router.Options{}); err != nil {
		return nil, err
	}
	data, err := serve(ctx, l.rt)
	if err != nil {
		return nil, err
	}
	admin, err := serve(ctx, l.rt.Admin())
	if err != nil {
		return nil, err
	}
	l.data = data
	st, err := store.Open(ctx, filepath.Join(dir, "slipway.db"))
	if err != nil {
		return nil, err
	}
	procs := process.New(func(_ context.Context, _, _, version string) ([]runtime.Instance, error) {
		return l.instances(version, false), nil
	})
	procs.Baseline = func(_ context.Context, _, _, version string) ([]runtime.Instance, error) {
		return l.instances(version, true), nil
	}
	metrics, err := compose.New(routermetrics.New(admin, &http.Client{Timeout: 10 * time.Second}), procs)
	if err != nil {
		return nil, err
	}
	l.ctl = &rollout.Controller{Store: st, Router: func(string, string) rollout.Splitter { return splitter{l.rt} },
		Metrics: func(string, string) analysis.Provider { return metrics }}
	if l.stable, err = l.start(ctx, stable); err != nil {
		return nil, err
	}
	if _, err := l.rt.Apply(router.Config{Service: spec.Service, Env: spec.Env,
		Backends: router.Spread(stable.version, 100, l.stable.URL)}); err != nil {
		return nil, err
	}
	go l.users(ctx, rate)
	return l, nil
}

// instances lists the running instances of version: the stable's or the
// candidate's, or the baseline's.
func (l *lane) instances(version string, baseline bool) []runtime.Instance {
	l.mu.Lock()
	defer l.mu.Unlock()
	if baseline {
		return l.baseline
	}
	if version == l.stable.Version {
		return []runtime.Instance{l.stable}
	}
	return l.pending
}

func (l *lane) start(ctx context.Context, b build) (runtime.Instance, error) {
	return l.target.Start(ctx, runtime.Spec{Service: l.spec.Service, Env: l.spec.Env, Version: b.version, Binary: b.path,
		Health: "/health/ready", Dir: filepath.Join(l.dir, "instances")})
}

// outcome is how one rollout ended.
type outcome struct {
	phase    rollout.Phase
	reason   string
	took     time.Duration
	failed   float64 // the candidate's failed requests
	baseline bool    // judged against a baseline
}

// rollout starts the candidate and a baseline of stable at the same moment, rolls
// the candidate out through the controller and stops both at the end; the stable
// serves everything again.
func (l *lane) rollout(ctx context.Context, stable, cand build, withBaseline bool) (outcome, error) {
	var (
		wg         sync.WaitGroup
		c, b       runtime.Instance
		cerr, berr error
	)
	wg.Go(func() { c, cerr = l.start(ctx, cand) })
	if withBaseline {
		wg.Go(func() { b, berr = l.start(ctx, stable) })
	}
	wg.Wait()
	defer func() {
		for _, in := range []runtime.Instance{c, b} {
			if in.PID > 0 {
				l.target.Stop(context.WithoutCancel(ctx), in)
			}
		}
		l.mu.Lock()
		l.pending, l.baseline = nil, nil
		l.mu.Unlock()
	}()
	if err := errors.Join(cerr, berr); err != nil {
		return outcome{}, err
	}
	spec := l.spec
	spec.Stable = rollout.NewRelease(stable.version, stable.digest, l.stable.URL)
	spec.Candidate = rollout.NewRelease(cand.version, cand.digest, c.URL)
	l.mu.Lock()
	l.pending = []runtime.Instance{c}
	if withBaseline {
		l.baseline = []runtime.Instance{b}
		spec.Baseline = rollout.NewRelease(stable.version, stable.digest, b.URL)
	}
	l.mu.Unlock()
	id, err := l.ctl.NewID(ctx)
	if err != nil {
		return outcome{}, err
	}
	began := time.Now()
	r, err := l.ctl.Start(ctx, id, spec)
	if err != nil {
		return outcome{}, err
	}
	if r, err = l.ctl.Run(ctx, r); err != nil {
		return outcome{}, err
	}
	failed := r.CandidateErrors
	// back to the stable alone before the candidate stops, as a deploy settles
	if _, err := l.rt.Apply(router.Config{Service: spec.Service, Env: spec.Env, Backends: router.Spread(stable.version, 100, l.stable.URL)}); err != nil {
		return outcome{}, err
	}
	return outcome{phase: r.Phase, reason: r.Reason, took: time.Since(began), failed: failed, baseline: r.HasBaseline()}, nil
}

// users sends rate requests a second to the router until ctx is done.
func (l *lane) users(ctx context.Context, rate float64) {
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	symbols := []string{"ACME", "INITK", "HOOLI"}
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		go func() {
			resp, err := client.Get(l.data + "/v1/quotes?symbol=" + symbols[i%len(symbols)])
			if err == nil {
				resp.Body.Close()
				l.served.Add(1)
			}
		}()
	}
}

func (l *lane) close(ctx context.Context) {
	l.target.Stop(context.WithoutCancel(ctx), l.stable)
}

// serve serves h on a free loopback port until ctx is done and returns its URL.
func serve(ctx context.Context, h http.Handler) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	context.AfterFunc(ctx, func() { srv.Close() })
	return "http://" + ln.Addr().String(), nil
}

// splitter applies configs to the in-process router.
type splitter struct{ rt *router.Router }

func (s splitter) Apply(_ context.Context, cfg router.Config) (router.Config, error) {
	out, err := s.rt.Apply(cfg)
	if err != nil {
		return out, fmt.Errorf("router: %w", err)
	}
	return out, nil
}
