package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/controlplane"
	"github.com/slipway/slipway/internal/delivery"
	"github.com/slipway/slipway/internal/executor/local"
	"github.com/slipway/slipway/internal/notify"
	"github.com/slipway/slipway/internal/notify/console"
	"github.com/slipway/slipway/internal/notify/webhook"
	"github.com/slipway/slipway/internal/pipeline"
)

// Options configure a demo run.
type Options struct {
	// Data is the directory holding the demo's state; it is reset at start when it
	// holds a previous demo, and refused when it holds anything else.
	Data string
	// Example is the contract-api example directory (with slipway.yaml and _story).
	Example string
	// Slipway is the slipway binary: routers run from it, pipeline steps call it.
	Slipway string
	// LegacyShare is the share of traffic that carries legacy contracts. Default 0.02.
	LegacyShare float64
	// Rate is the simulated users' requests per second. Default 250.
	Rate int
	// Webhook, when set, receives rollback and incident notifications.
	Webhook string
	// Out receives the story as it unfolds.
	Out io.Writer
}

const marker = ".slipway-demo"

// env wires one demo run together.
type env struct {
	opts      Options
	out       io.Writer
	plane     *controlplane.Plane
	engine    *delivery.Engine
	planes    map[string]controlplane.DataPlane
	traffic   *Traffic
	stopUsers context.CancelFunc
	usersDone chan struct{}
	start     time.Time
}

// prepare resets the data directory, opens the control plane and starts the routers.
func prepare(ctx context.Context, o Options) (*env, error) {
	if o.LegacyShare < 0 || o.LegacyShare > 1 {
		return nil, fmt.Errorf("legacy share %v: must be between 0 and 1 (0.02 is 2%%)", o.LegacyShare)
	}
	if o.Rate == 0 {
		o.Rate = 250
	}
	if o.Rate < 20 || o.Rate > 5000 {
		return nil, fmt.Errorf("rate %d req/s: use 20 to 5000", o.Rate)
	}
	if _, err := os.Stat(filepath.Join(o.Example, "slipway.yaml")); err != nil {
		return nil, fmt.Errorf("example service not found at %s (run from the repository root, or pass --example): %w", o.Example, err)
	}
	// A bad slipway.yaml stops the demo before it touches anything.
	cfg, err := config.Load(filepath.Join(o.Example, "slipway.yaml"))
	if err != nil {
		return nil, err
	}
	if err := resetData(o.Data); err != nil {
		return nil, err
	}
	var notifiers = notify.Multi{console.New(o.Out)}
	if o.Webhook != "" {
		wh, err := webhook.New(o.Webhook)
		if err != nil {
			return nil, err
		}
		notifiers = append(notifiers, wh)
	}
	p, err := controlplane.Open(ctx, controlplane.Options{Data: o.Data, Config: cfg, Out: o.Out, Notifier: notifiers})
	if err != nil {
		return nil, err
	}
	e := &env{opts: o, out: o.Out, plane: p,
		planes: map[string]controlplane.DataPlane{}, start: time.Now()}
	for _, en := range cfg.Environments {
		dp, err := controlplane.SpawnRouter(ctx, o.Slipway, filepath.Join(o.Data, "routers"), en.Name)
		if err != nil {
			e.close()
			return nil, err
		}
		e.planes[en.Name] = dp
		if err := p.Register(ctx, dp); err != nil {
			e.close()
			return nil, err
		}
	}
	e.engine = &delivery.Engine{Config: cfg, Store: p.Store, Artifacts: p.Artifacts, Deployer: p.Deployer, Incidents: p.Incidents,
		Dir: o.Data, Out: o.Out,
		StepEnv: []string{"PATH=" + filepath.Dir(o.Slipway) + string(os.PathListSeparator) + os.Getenv("PATH"),
			"SLIPWAY_REPO=" + filepath.Join(o.Data, "repos", "contract-api")},
		Pipelines: &pipeline.Runner{Exec: &local.Executor{}, CacheDir: filepath.Join(o.Data, "cache"),
			LogDir: filepath.Join(o.Data, "logs"), Journal: p.Store, Out: o.Out}}
	return e, nil
}

// resetData empties dir when it holds a previous demo (or nothing).
func resetData(dir string) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) || err == nil && len(entries) == 0 {
		return writeMarker(dir)
	}
	if err != nil {
		return fmt.Errorf("data directory %s: %w", dir, err)
	}
	if _, err := os.Stat(filepath.Join(dir, marker)); err != nil {
		return fmt.Errorf("data directory %s holds files not made by the demo; pass --data with an empty or new directory", dir)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("reset %s: %w", dir, err)
	}
	return writeMarker(dir)
}

func writeMarker(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("data directory %s: %w", dir, err)
	}
	return os.WriteFile(filepath.Join(dir, marker), []byte("state of `slipway demo`; reset by the next run\n"), 0o644)
}

// close stops users, instances and routers, and closes the store.
func (e *env) close() {
	if e.stopUsers != nil {
		e.stopUsers()
		<-e.usersDone
	}
	ctx := context.Background()
	for _, en := range e.plane.Config.Environments {
		dep, err := e.plane.Deployer.Current(ctx, en.Name)
		if err != nil {
			continue
		}
		for _, in := range dep.Instances {
			e.plane.Target.Stop(ctx, in)
		}
		if dep.Warm != nil {
			for _, in := range dep.Warm.Instances {
				e.plane.Target.Stop(ctx, in)
			}
		}
		if dep.Pending != nil {
			e.plane.Target.Stop(ctx, dep.Pending.Instance)
		}
	}
	for _, dp := range e.planes {
		dp.Stop()
	}
	e.plane.Close()
}

// startUsers sends simulated traffic to prod's router until close.
func (e *env) startUsers(prod string) {
	ctx, cancel := context.WithCancel(context.Background())
	e.traffic = &Traffic{URL: e.planes[prod].URL(), Rate: e.opts.Rate, LegacyShare: e.opts.LegacyShare}
	e.stopUsers = cancel
	e.usersDone = make(chan struct{})
	go func() {
		defer close(e.usersDone)
		e.traffic.Run(ctx)
	}()
}
