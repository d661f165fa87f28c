package controlplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/delivery"
	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/executor/local"
	"github.com/slipway/slipway/internal/notify/console"
	"github.com/slipway/slipway/internal/pipeline"
	"github.com/slipway/slipway/internal/store"
	"github.com/slipway/slipway/internal/vcs"
)

// service is one service a running control plane serves: its plane, repository,
// delivery engine and the work in flight.
type service struct {
	name   string
	dir    string // the directory holding slipway.yaml
	subdir string // dir relative to the repository root; "" at the root
	main   string // the main branch: main or master
	up     UpOptions
	log    *slog.Logger
	repo   *vcs.Repo
	plane  *Plane
	runner *pipeline.Runner

	envMu sync.Mutex
	envs  map[string]*sync.Mutex // one deploy at a time per environment

	runsMu   sync.Mutex
	branches map[string]*branchRun // the run in flight per branch

	mainQ chan string // commits of main to release, in order
}

// openService opens the plane of the service in dir. Its configuration is the one
// its last release shipped with, or at first the one committed on main (the work
// tree's when main has none yet).
func openService(ctx context.Context, o UpOptions, dir string) (*service, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("up: service directory %s: %w", dir, err)
	}
	repo, err := vcs.Open(ctx, abs)
	if err != nil {
		return nil, fmt.Errorf("up: %s is not inside a git repository: Slipway ships what is committed (git init, commit, then slipway up): %w", abs, err)
	}
	top, _ := filepath.EvalSymlinks(repo.Dir)
	here, _ := filepath.EvalSymlinks(abs)
	subdir, err := filepath.Rel(top, here)
	if err != nil || subdir == "." {
		subdir = ""
	}
	s := &service{dir: abs, subdir: filepath.ToSlash(subdir), up: o, repo: repo,
		envs: map[string]*sync.Mutex{}, branches: map[string]*branchRun{}, mainQ: make(chan string, 64)}
	if o.Remote != "" {
		if !repo.HasRemote(ctx, o.Remote) {
			return nil, fmt.Errorf("up: %s has no remote %q (git remote -v lists them)", repo.Dir, o.Remote)
		}
		if err := repo.Fetch(ctx, o.Remote); err != nil {
			return nil, fmt.Errorf("up: %w", err)
		}
	}
	heads, err := repo.Heads(ctx, o.Remote)
	if err != nil {
		return nil, fmt.Errorf("up: %w", err)
	}
	s.main = "main"
	if _, ok := heads["main"]; !ok {
		if _, ok := heads["master"]; ok {
			s.main = "master"
		}
	}
	cfg, err := s.initialConfig(ctx, heads[s.main])
	if err != nil {
		return nil, err
	}
	s.name = cfg.Service
	s.log = o.Log.With("service", s.name)
	out := logWriter{log: s.log}
	p, err := Open(ctx, Options{Data: o.Data, Config: cfg, Out: out, Notifier: console.New(out), Policy: o.Policy})
	if err != nil {
		return nil, fmt.Errorf("up: %s: %w", s.name, err)
	}
	s.plane = p
	s.runner = &pipeline.Runner{Exec: &local.Executor{}, CacheDir: filepath.Join(p.Data, "cache"),
		LogDir: filepath.Join(p.Data, "logs"), Journal: p.Store, Out: out}
	return s, nil
}

// initialConfig is the configuration the service starts with.
func (s *service) initialConfig(ctx context.Context, mainHead string) (*config.Config, error) {
	file := filepath.Join(s.dir, "slipway.yaml")
	work, werr := config.Load(file)
	if werr != nil && !errors.Is(werr, os.ErrNotExist) {
		return nil, fmt.Errorf("up: %s:\n%w", file, werr)
	}
	committed, cerr := s.configAt(ctx, mainHead)
	if werr != nil && cerr != nil {
		return nil, fmt.Errorf("up: no slipway.yaml in %s: 'slipway init' writes one", s.dir)
	}
	name := ""
	if work != nil {
		name = work.Service
	} else {
		name = committed.Service
	}
	st, err := store.Open(ctx, filepath.Join(s.up.Data, "slipway.db"))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if stored, err := StoredConfig(ctx, st, name); err == nil {
		return stored, nil
	}
	if cerr == nil {
		return committed, nil
	}
	s.up.Log.Warn("slipway.yaml is not committed on "+s.main+" yet: using the work tree's until it is", "service", work.Service, "file", file)
	return work, nil
}

// configAt reads and validates slipway.yaml as committed at commit.
func (s *service) configAt(ctx context.Context, commit string) (*config.Config, error) {
	if commit == "" {
		return nil, fmt.Errorf("no commit: %w", vcs.ErrNotFound)
	}
	path := "slipway.yaml"
	if s.subdir != "" {
		path = s.subdir + "/slipway.yaml"
	}
	b, err := s.repo.Show(ctx, commit, path)
	if err != nil {
		return nil, err
	}
	return config.Parse(path+"@"+short(commit), b)
}

// engine is a delivery engine for cfg, the configuration of the commit at hand.
func (s *service) engine(cfg *config.Config) *delivery.Engine {
	d := s.deployer(cfg)
	return &delivery.Engine{Repo: s.repo, Config: cfg, Store: s.plane.Store, Pipelines: s.runner, Artifacts: s.plane.Artifacts,
		Deployer: d, Incidents: s.plane.Incidents, Dir: filepath.Join(s.plane.Data, "services", cfg.Service),
		StepEnv: []string{"PATH=" + filepath.Dir(s.up.Slipway) + string(os.PathListSeparator) + os.Getenv("PATH")},
		Out:     logWriter{log: s.log}, Subdir: s.subdir, Lock: s.lockEnv}
}

// deployer is the plane's deployer working with cfg.
func (s *service) deployer(cfg *config.Config) *deploy.Deployer {
	d := *s.plane.Deployer
	d.Config = cfg
	return &d
}

// lockEnv holds env until the returned func is called.
func (s *service) lockEnv(env string) func() {
	s.envMu.Lock()
	mu, ok := s.envs[env]
	if !ok {
		mu = &sync.Mutex{}
		s.envs[env] = mu
	}
	s.envMu.Unlock()
	mu.Lock()
	return mu.Unlock
}

func (s *service) close() {
	if s.plane != nil {
		s.plane.Close()
	}
}

func short(commit string) string {
	if len(commit) > 7 {
		return commit[:7]
	}
	return commit
}
