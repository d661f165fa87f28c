package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/controlplane"
	"github.com/slipway/slipway/internal/store"
)

// Options configure a demo run.
type Options struct {
	// Data is the directory holding the demo's state; it is reset at start when it
	// holds a previous demo, and refused when it holds anything else.
	Data string
	// Example is the contract-api example directory (with slipway.yaml and _story).
	Example string
	// Slipway is the slipway binary: the control plane runs routers from it,
	// pipeline steps call it.
	Slipway string
	// LegacyShare is the share of traffic that carries legacy contracts. Default 0.02.
	LegacyShare float64
	// Rate is the simulated users' requests per second. Default 250.
	Rate int
	// Webhook, when set, is written to the service's slipway.yaml as notify.webhook:
	// it receives rollback and incident notifications.
	Webhook string
	// Slack, when set, is written to the service's slipway.yaml as notify.slack.
	Slack *Slack
	// Out receives the story as it unfolds.
	Out io.Writer
}

const marker = ".slipway-demo"

// poll is how often the demo's control plane reads branches: the story commits
// and waits, so it reads more often than the 2s default (slipway up --poll).
const poll = 300 * time.Millisecond

// env is one demo run: the person at the keyboard, with the control plane they
// started with `slipway up`.
type env struct {
	opts      Options
	out       io.Writer
	repo      string // the service's repository
	cfg       *config.Config
	st        *store.Store
	info      controlplane.Info
	narrator  *narrator
	stopPlane context.CancelFunc
	planeDone chan error
	traffic   *Traffic
	stopUsers context.CancelFunc
	usersDone chan struct{}
	start     time.Time
}

// prepare checks the options, stops what an interrupted earlier demo left running,
// resets the data directory and lays the service's repository out.
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
	if o.Webhook != "" {
		cfg.Notify.Webhook = o.Webhook
		if _, err := cfg.Notify.WebhookURL(); err != nil {
			return nil, fmt.Errorf("--webhook: %w", err)
		}
	}
	if err := resetData(ctx, o.Data); err != nil {
		return nil, err
	}
	return &env{opts: o, out: o.Out, cfg: cfg, start: time.Now(), repo: filepath.Join(o.Data, "repos", cfg.Service)}, nil
}

// up starts the control plane on the service's repository, as `slipway up` does,
// and waits until every environment is served.
func (e *env) up(ctx context.Context) error {
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	e.stopPlane, e.planeDone = cancel, make(chan error, 1)
	ready := make(chan controlplane.Info, 1)
	e.narrator = newNarrator(e.out)
	log := slog.New(e.narrator)
	go func() {
		e.planeDone <- controlplane.Up(pctx, controlplane.UpOptions{Data: e.opts.Data, Services: []string{e.repo},
			Slipway: e.opts.Slipway, Poll: poll, Log: log, Ready: func(in controlplane.Info) { ready <- in }})
	}()
	select {
	case e.info = <-ready:
	case err := <-e.planeDone:
		return fmt.Errorf("slipway up: %w", err)
	case <-ctx.Done():
		return ctx.Err()
	}
	st, err := store.Open(ctx, filepath.Join(e.opts.Data, "slipway.db"))
	if err != nil {
		return err
	}
	e.st = st
	return nil
}

// resetData empties dir when it holds a previous demo (or nothing), stopping first
// whatever that demo left running (a demo killed mid-way leaves routers and
// instances behind; they are recorded in its state).
func resetData(ctx context.Context, dir string) error {
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
	if _, err := controlplane.Down(ctx, dir, 10*time.Second); err != nil {
		return fmt.Errorf("stop what the previous demo left running in %s: %w", dir, err)
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

// close stops the users, then everything `slipway up` started (`slipway down`).
func (e *env) close() {
	if e.narrator != nil {
		e.narrator.mute()
	}
	if e.stopUsers != nil {
		e.stopUsers()
		<-e.usersDone
	}
	if e.stopPlane != nil {
		e.stopPlane()
		<-e.planeDone
	}
	if e.st != nil {
		e.st.Close()
	}
	if _, err := controlplane.Down(context.Background(), e.opts.Data, 10*time.Second); err != nil {
		fmt.Fprintf(e.out, "slipway down: %v\n", err)
	}
}

// startUsers sends simulated traffic to env's URL until close.
func (e *env) startUsers(url string) {
	ctx, cancel := context.WithCancel(context.Background())
	e.traffic = &Traffic{URL: url, Rate: e.opts.Rate, LegacyShare: e.opts.LegacyShare}
	e.stopUsers = cancel
	e.usersDone = make(chan struct{})
	go func() {
		defer close(e.usersDone)
		e.traffic.Run(ctx)
	}()
}

// url is where env answers.
func (e *env) url(env string) string {
	for _, s := range e.info.Services {
		for _, en := range s.Environments {
			if en.Name == env {
				return en.URL
			}
		}
	}
	return ""
}
