package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/analysis"
	routermetrics "github.com/slipway/slipway/internal/analysis/router"
	"github.com/slipway/slipway/internal/artifact"
	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/router"
	"github.com/slipway/slipway/internal/runtime"
	"github.com/slipway/slipway/internal/runtime/local"
	"github.com/slipway/slipway/internal/store"
)

// The service deployed in these tests answers its version; versions containing
// "bad" fail a third of requests. It is healthy on /ready, the configured health
// path, and its /healthz fails, so any probe of the wrong path shows.
const serviceSource = `package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strings"
)

func main() {
	version := os.Getenv("SLIPWAY_VERSION")
	http.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ready") })
	http.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "health is on /ready", http.StatusInternalServerError)
	})
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(version, "bad") && rand.IntN(3) == 0 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, version)
	})
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`

const serviceConfig = `service: svc
build: {main: ., health: /ready}
pipelines:
  main:
    steps: [{name: test, run: "true"}]
environments:
  - name: dev
    replicas: 2
    smoke: [{name: root, path: /}]
  - name: prod
    replicas: 2
    rollout:
      steps: [50, 100]
      bake: 600ms
      interval: 100ms
      keep-warm: 1m
      analysis:
        min-requests: 50
        on-no-data: rollback
        max-extension: 5s
        checks: [{metric: error-rate, max: "5%"}]
`

// artifacts is one artifact store for the whole package: each version is built once.
var artifacts struct {
	once  sync.Once
	store *artifact.Store
	src   string
	err   error
	mu    sync.Mutex
	built map[string]Artifact
}

var artifactsDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "slipway-deploy-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	artifactsDir = dir
	// The default signing key lives under the user's configuration directory:
	// the tests get their own.
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	os.Unsetenv(artifact.EnvSigningKey)
	os.Unsetenv(artifact.EnvVulnDB)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build returns the artifact of version, building it on first use.
func build(t *testing.T, version string) Artifact {
	t.Helper()
	artifacts.once.Do(func() {
		artifacts.src = filepath.Join(artifactsDir, "src")
		artifacts.built = map[string]Artifact{}
		if err := os.MkdirAll(artifacts.src, 0o755); err != nil {
			artifacts.err = err
			return
		}
		os.WriteFile(filepath.Join(artifacts.src, "go.mod"), []byte("module svc\n\ngo 1.22\n"), 0o644)
		os.WriteFile(filepath.Join(artifacts.src, "main.go"), []byte(serviceSource), 0o644)
		artifacts.store, artifacts.err = artifact.Open(filepath.Join(artifactsDir, "artifacts"))
	})
	if artifacts.err != nil {
		t.Fatal(artifacts.err)
	}
	artifacts.mu.Lock()
	defer artifacts.mu.Unlock()
	if a, ok := artifacts.built[version]; ok {
		return a
	}
	a, err := artifacts.store.Build(context.Background(), artifact.BuildInput{Service: "svc", Version: version,
		Commit: "0123456789abcdef", SourceDir: artifacts.src, Main: ".", Created: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatalf("build %s: %v", version, err)
	}
	artifacts.built[version] = Artifact{Service: "svc", Version: version, Digest: a.Digest}
	return artifacts.built[version]
}

// env is a Deployer of the test service with a real store, local processes and one
// real router per environment, served on loopback.
type env struct {
	t       *testing.T
	d       *Deployer
	store   *store.Store
	target  *local.Target
	routers map[string]*testRouter
}

type testRouter struct {
	data, admin string
	client      *router.Client
	stop        func()
}

func newEnv(t *testing.T) *env {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the service and runs its processes")
	}
	ctx := context.Background()
	dir := t.TempDir()
	cfg, err := config.Parse("slipway.yaml", []byte(serviceConfig))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, filepath.Join(dir, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	build(t, "1.0.0") // opens the artifact store
	e := &env{t: t, store: st, target: &local.Target{StartTimeout: 15 * time.Second, Grace: 2 * time.Second}, routers: map[string]*testRouter{}}
	for _, name := range []string{"dev", "prod"} {
		e.routers[name] = startRouter(t)
	}
	httpc := &http.Client{Timeout: 5 * time.Second}
	splitter := func(service, env string) rollout.Splitter { return e.routers[env].client }
	ctl := &rollout.Controller{Store: st, Router: splitter,
		Metrics: func(service, env string) analysis.Provider { return routermetrics.New(e.routers[env].admin, httpc) }}
	e.d = &Deployer{Config: cfg, Store: st, Artifacts: artifacts.store, Target: e.target, Rollouts: ctl, Router: splitter, Dir: dir}
	t.Cleanup(func() {
		// No process of ours runs that no record points to; then stop those that do.
		recorded := map[int]bool{}
		var all []runtime.Instance
		for _, name := range []string{"dev", "prod"} {
			if dep, err := e.d.Current(ctx, name); err == nil {
				for _, in := range dep.all() {
					recorded[in.PID] = true
					all = append(all, in)
				}
			}
		}
		for _, pid := range children() {
			if !recorded[pid] {
				t.Errorf("process %d runs but no deployment record points to it", pid)
				syscall.Kill(-pid, syscall.SIGKILL)
			}
		}
		e.d.stop(ctx, all)
	})
	return e
}

type readyWriter chan []byte

func (c readyWriter) Write(p []byte) (int, error) {
	c <- append([]byte(nil), p...)
	return len(p), nil
}

// startRouter serves a router on loopback ports; stop ends it (also at cleanup).
func startRouter(t *testing.T) *testRouter {
	t.Helper()
	opts := router.Options{Listen: "127.0.0.1:0", AdminListen: "127.0.0.1:0", StatePath: filepath.Join(t.TempDir(), "router.json"), ShutdownTimeout: 2 * time.Second}
	r, err := router.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(readyWriter, 1)
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, opts, ready) }()
	var addrs router.Ready
	select {
	case line := <-ready:
		if err := json.Unmarshal(line, &addrs); err != nil {
			t.Fatal(err)
		}
	case err := <-done:
		cancel()
		t.Fatalf("router: %v", err)
	}
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return &testRouter{data: "http://" + addrs.Listen, admin: "http://" + addrs.Admin, stop: stop,
		client: &router.Client{AdminURL: "http://" + addrs.Admin, HTTP: &http.Client{Timeout: 5 * time.Second}}}
}

func (e *env) current(name string) Deployment {
	e.t.Helper()
	dep, err := e.d.Current(context.Background(), name)
	if err != nil {
		e.t.Fatalf("deployment in %s: %v", name, err)
	}
	return dep
}

func (e *env) routes(name string) router.Config {
	e.t.Helper()
	cfg, err := e.routers[name].client.Config(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return cfg
}

// events returns the journal's events of kind.
func (e *env) events(kind string) []store.Event {
	e.t.Helper()
	evs, err := e.store.Events(context.Background(), store.Filter{Kinds: []string{kind}})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// traffic sends requests to env's router until the returned func is called.
func (e *env) traffic(name string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 5 * time.Second}
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tick := time.NewTicker(3 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-done:
					return
				case <-tick.C:
				}
				if resp, err := client.Get(e.routers[name].data + "/"); err == nil {
					resp.Body.Close()
				}
			}
		}()
	}
	var once sync.Once
	stop = func() { once.Do(func() { close(done); wg.Wait() }) }
	e.t.Cleanup(stop)
	return stop
}

// gone reports whether no process runs for in any more.
func gone(in runtime.Instance) bool { return !local.SameProcess(in.PID, in.Boot) }

// waitGone waits, with a deadline, until every one of ins has exited.
func waitGone(t *testing.T, what string, ins []runtime.Instance) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for _, in := range ins {
		for !gone(in) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: instance %s (pid %d) still runs", what, in.URL, in.PID)
			}
			<-tick.C
		}
	}
}

func backendURLs(cfg router.Config, version string) []string {
	var out []string
	for _, b := range cfg.Backends {
		if b.Version == version {
			out = append(out, b.URL)
		}
	}
	return out
}

func (e *env) deploy(name, version string, o Options) (Result, error) {
	return e.d.Deploy(context.Background(), name, build(e.t, version), o)
}

func (e *env) mustDeploy(name, version string, o Options, want Outcome) Result {
	e.t.Helper()
	res, err := e.deploy(name, version, o)
	if err != nil {
		e.t.Fatalf("deploy %s to %s: %v", version, name, err)
	}
	if res.Outcome != want {
		reason := ""
		if res.Rollout != nil {
			reason = res.Rollout.Reason
		}
		e.t.Fatalf("deploy %s to %s: %s (%s), want %s", version, name, res.Outcome, reason, want)
	}
	return res
}

// stopMidRollout deploys version to env and cancels the deploy once its rollout is
// stored, as a control plane stopped mid-rollout: the candidate stays pending.
func (e *env) stopMidRollout(name, version string) {
	e.t.Helper()
	ctx := context.Background()
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	deployed := make(chan struct{})
	go func() {
		// watch until the deploy returns, however long a loaded machine takes to
		// start the candidate and its baseline
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-deployed:
				return
			case <-tick.C:
			}
			if dep, err := e.d.Current(ctx, name); err == nil && dep.Pending != nil {
				if _, err := e.d.Rollouts.Load(ctx, dep.Pending.Rollout); err == nil {
					cancel()
					return
				}
			}
		}
	}()
	_, err := e.d.Deploy(dctx, name, build(e.t, version), Options{})
	close(deployed)
	if !errors.Is(err, context.Canceled) {
		e.t.Fatalf("deploy of %s stopped mid-rollout = %v, want context.Canceled (the rollout ended before it was seen pending)", version, err)
	}
	if e.current(name).Pending == nil {
		e.t.Fatalf("no pending candidate after stopping the deploy of %s mid-rollout", version)
	}
}

// children lists the live child processes of this test binary.
func children() []int {
	me := strconv.Itoa(os.Getpid())
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		var ppid, state string
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PPid:"); ok {
				ppid = strings.TrimSpace(v)
			}
			if v, ok := strings.CutPrefix(line, "State:"); ok {
				state = strings.TrimSpace(v)
			}
		}
		if ppid == me && !strings.HasPrefix(state, "Z") {
			out = append(out, pid)
		}
	}
	return out
}
