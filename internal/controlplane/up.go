package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	localrt "github.com/slipway/slipway/internal/runtime/local"
	"github.com/slipway/slipway/internal/telemetry"
)

// UpOptions configure the control plane `slipway up` runs.
type UpOptions struct {
	// Data is the state directory.
	Data string
	// Services are the directories holding each service's slipway.yaml, inside git
	// repositories. Several services may share one control plane.
	Services []string
	// Slipway is the slipway binary: routers run from it, pipeline steps find it on
	// PATH.
	Slipway string
	// Remote, when set, is fetched every Poll and its branches drive the pipelines
	// (a shared origin); else the repository's local branches do.
	Remote string
	// Poll is how often branches are read. Default 2s.
	Poll time.Duration
	// Log receives what the control plane does (required).
	Log *slog.Logger
	// LogFile is where a detached control plane writes its log; recorded in Info.
	LogFile string
	// Ready, when set, is called once every environment of every service is served,
	// with where.
	Ready func(Info)
	// API is where the control plane's HTTP listener (receivers for OTLP traces and
	// Alertmanager webhooks) listens; empty reuses the last address, else a free
	// loopback port.
	API string
	// Policy is the pinned policy file (slipway up --policy); see Options.Policy.
	Policy string
	// Traces bounds what the OTLP receiver keeps in <data>/traces.db: spans older
	// than MaxAge and the oldest beyond MaxSpans are dropped. Zero: the defaults.
	Traces telemetry.Options
}

// DefaultPoll is how often a control plane reads branch heads by default.
const DefaultPoll = 2 * time.Second

// Info is what a running control plane publishes in <data>/controlplane.json: who it
// is and where each environment answers.
type Info struct {
	PID     int       `json:"pid"`
	Boot    uint64    `json:"boot"`
	Started time.Time `json:"started"`
	Data    string    `json:"data"`
	LogFile string    `json:"log_file,omitempty"`
	Ready   bool      `json:"ready"`
	// API is the base URL of the control plane's HTTP listener.
	API      string        `json:"api,omitempty"`
	Services []ServiceInfo `json:"services"`
}

// ServiceInfo is one service a control plane runs.
type ServiceInfo struct {
	Name         string    `json:"name"`
	Dir          string    `json:"dir"`
	Environments []EnvInfo `json:"environments"`
}

// EnvInfo is where one environment answers and what it runs.
type EnvInfo struct {
	Name    string `json:"name"`
	URL     string `json:"url"`
	Version string `json:"version,omitempty"`
}

const (
	infoFile = "controlplane.json"
	pidFile  = "slipway.pid"
	lockFile = "controlplane.lock"
)

// ErrRunning is returned by Up when another control plane serves the state directory.
var ErrRunning = errors.New("a control plane already runs for this state directory")

// Running returns the control plane serving data, if one runs: its published Info
// names a live process that is the one that wrote it.
func Running(data string) (Info, bool) {
	var in Info
	b, err := os.ReadFile(filepath.Join(data, infoFile))
	if err != nil || json.Unmarshal(b, &in) != nil {
		return in, false
	}
	return in, localrt.SameProcess(in.PID, in.Boot)
}

// Up runs the control plane until ctx ends: it takes the state directory's lock,
// brings every service's routers and environments up (adopting what a previous
// control plane left running), resumes unfinished rollouts, and from then on turns
// git pushes and queued requests into pipelines, releases, deploys and rollouts.
// When ctx ends it stops its own work; routers and instances keep serving (Down
// stops them).
func Up(ctx context.Context, o UpOptions) error {
	if o.Poll <= 0 {
		o.Poll = DefaultPoll
	}
	if len(o.Services) == 0 {
		return errors.New("up: no service: run it in a directory with a slipway.yaml (slipway init writes one)")
	}
	data, err := filepath.Abs(o.Data)
	if err != nil {
		return fmt.Errorf("up: state directory %s: %w", o.Data, err)
	}
	o.Data = data
	if err := os.MkdirAll(data, 0o755); err != nil {
		return fmt.Errorf("up: state directory %s: %w", data, err)
	}
	unlock, err := lock(data)
	if err != nil {
		return err
	}
	defer unlock()
	boot, _ := localrt.StartTime(os.Getpid())
	info := Info{PID: os.Getpid(), Boot: boot, Started: time.Now().UTC(), Data: data, LogFile: o.LogFile}
	if err := writeInfo(data, info); err != nil {
		return err
	}
	defer os.Remove(filepath.Join(data, infoFile))
	if err := os.WriteFile(filepath.Join(data, pidFile), []byte(fmt.Sprintf("%d\n", info.PID)), 0o644); err != nil {
		return fmt.Errorf("up: pid file: %w", err)
	}
	defer os.Remove(filepath.Join(data, pidFile))

	api, err := listenAPI(data, o.API, o.Log)
	if err == nil {
		api.traces = o.Traces
	}
	if err != nil {
		return err
	}
	defer api.close()
	info.API = api.URL()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var services []*service
	for _, dir := range o.Services {
		s, err := openService(ctx, o, dir)
		if err != nil {
			closeAll(services)
			return err
		}
		s.plane.api = api
		s.plane.serveTelemetry(ctx, o.Log)
		for _, other := range services {
			if other.name == s.name {
				s.close()
				closeAll(services)
				return fmt.Errorf("up: two services are named %s (%s and %s): give each its own service name", s.name, other.dir, s.dir)
			}
		}
		services = append(services, s)
	}
	defer closeAll(services)
	for _, s := range services {
		if err := s.start(ctx); err != nil {
			return err
		}
		info.Services = append(info.Services, s.info(ctx))
	}
	defer startAlerts(ctx, data, o.Log, api, services)()
	info.Ready = true
	if err := writeInfo(data, info); err != nil {
		return err
	}
	o.Log.Info("control plane ready", "pid", info.PID, "data", data, "services", len(services))
	if o.Ready != nil {
		o.Ready(info)
	}

	var wg sync.WaitGroup
	wg.Go(func() { api.serve(ctx) })
	for _, s := range services {
		wg.Go(func() { s.run(ctx) })
	}
	wg.Go(func() { serveRequests(ctx, o.Log, services) })
	<-ctx.Done()
	o.Log.Info("control plane stopping: pipelines are cancelled, rollouts resume at the next 'slipway up'; routers and instances keep serving ('slipway down' stops them)")
	wg.Wait()
	return nil
}

func closeAll(services []*service) {
	for _, s := range services {
		s.close()
	}
}

// lock takes the state directory's control-plane lock, held until unlock or exit.
func lock(data string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(data, lockFile), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("up: lock %s: %w", data, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if in, ok := Running(data); ok {
			return nil, fmt.Errorf("up: %w (pid %d, since %s): 'slipway down' stops it, 'slipway status' shows it",
				ErrRunning, in.PID, in.Started.Local().Format(time.DateTime))
		}
		return nil, fmt.Errorf("up: %w (%s is locked): 'slipway down' stops it", ErrRunning, data)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// writeInfo publishes in atomically.
func writeInfo(data string, in Info) error {
	b, err := json.MarshalIndent(in, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(data, infoFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("up: publish %s: %w", infoFile, err)
	}
	if err := os.Rename(tmp, filepath.Join(data, infoFile)); err != nil {
		return fmt.Errorf("up: publish %s: %w", infoFile, err)
	}
	return nil
}
