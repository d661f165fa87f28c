// Package process is the analysis provider for what a version's local instances do
// on this machine: CPU time and resident memory of each instance's process group,
// read from /proc, and the number of critical log lines in each instance's log.
//
// It knows nothing of requests: Requests, Errors, Routes and Latency stay zero. Put it
// together with the router provider (package compose) to judge traffic, saturation
// and logs of one version at once.
//
// Linux only (it reads /proc). Log files are read incrementally: each Query reads
// only the lines appended since the previous one.
package process

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/runtime"
)

var _ analysis.Provider = (*Provider)(nil)

// Lookup lists the running instances of one version of a service in an env.
type Lookup func(ctx context.Context, service, env, version string) ([]runtime.Instance, error)

// ErrNotRunning is wrapped by Query's error when an instance's process is gone (or
// its PID now belongs to another process): the version's readings are incomplete.
var ErrNotRunning = errors.New("instance not running")

// startSlack absorbs the one-second resolution of the boot time when comparing a
// process's start with its Instance.Started.
const startSlack = 2 * time.Second

// Provider reads local instances. It is safe for concurrent use.
type Provider struct {
	lookup Lookup
	// Baseline lists a version's baseline instances, for queries with Track
	// analysis.TrackBaseline. Nil reads such a query as a version without
	// instances (a zero Series).
	Baseline Lookup
	// ProcRoot is where procfs is mounted. Default /proc.
	ProcRoot string
	// Now stamps Series.At. Default time.Now.
	Now func() time.Time

	mu   sync.Mutex
	logs map[string]*logCounter // by log path
}

// New returns a Provider that asks lookup for a version's instances on every Query.
func New(lookup Lookup) *Provider {
	return &Provider{lookup: lookup, ProcRoot: "/proc", Now: time.Now, logs: make(map[string]*logCounter)}
}

// Query sums q.Version's instances: CPU seconds (cumulative, including the children
// each process has waited for), resident memory now, and critical log lines
// (cumulative). A version without instances is a zero Series. An instance whose
// process is gone, that has no PID, or whose log cannot be read is an error.
func (p *Provider) Query(ctx context.Context, q analysis.Query) (analysis.Series, error) {
	if q.Service == "" || q.Env == "" || q.Version == "" {
		return analysis.Series{}, fmt.Errorf("process query %+v: service, env and version are all required", q)
	}
	if p.lookup == nil {
		return analysis.Series{}, fmt.Errorf("process query %s/%s version %s: no instance lookup configured", q.Service, q.Env, q.Version)
	}
	s, err := p.query(ctx, q)
	if err != nil {
		return analysis.Series{}, fmt.Errorf("process query %s/%s version %s: %w", q.Service, q.Env, q.Version, err)
	}
	return s, nil
}

func (p *Provider) query(ctx context.Context, q analysis.Query) (analysis.Series, error) {
	if err := ctx.Err(); err != nil {
		return analysis.Series{}, err
	}
	lookup := p.lookup
	if q.Track == analysis.TrackBaseline {
		lookup = p.Baseline
	}
	var instances []runtime.Instance
	var err error
	if lookup != nil {
		instances, err = lookup(ctx, q.Service, q.Env, q.Version)
	}
	if err != nil {
		return analysis.Series{}, fmt.Errorf("look up instances: %w", err)
	}
	s := analysis.Series{Version: q.Version, At: p.Now()}
	if len(instances) == 0 {
		return s, nil
	}
	want := make(map[int]bool, len(instances))
	for _, in := range instances {
		if in.PID <= 0 {
			return analysis.Series{}, fmt.Errorf("instance %s has no process id: this provider reads local instances only", in.ID)
		}
		want[in.PID] = true
	}
	usage, found, err := groups(p.ProcRoot, want)
	if err != nil {
		return analysis.Series{}, err
	}
	var boot time.Time
	for _, in := range instances {
		leader, ok := found[in.PID]
		if !ok {
			return analysis.Series{}, fmt.Errorf("instance %s pid %d: %w", in.ID, in.PID, ErrNotRunning)
		}
		if !in.Started.IsZero() {
			if boot.IsZero() {
				if boot, err = bootTime(p.ProcRoot); err != nil {
					return analysis.Series{}, fmt.Errorf("read boot time: %w", err)
				}
			}
			started := boot.Add(time.Duration(leader.startTicks) * time.Second / clockTicks)
			if started.After(in.Started.Add(startSlack)) {
				return analysis.Series{}, fmt.Errorf("instance %s pid %d started %v, after the instance (%v): the pid was reused: %w",
					in.ID, in.PID, started.Format(time.RFC3339), in.Started.Format(time.RFC3339), ErrNotRunning)
			}
		}
		u := usage[in.PID]
		s.CPUSeconds += u.cpuSeconds
		s.MemoryBytes += u.memoryBytes
		if in.Log == "" {
			continue
		}
		if err := ctx.Err(); err != nil {
			return analysis.Series{}, err
		}
		n, err := p.logErrors(in.Log)
		if err != nil {
			return analysis.Series{}, fmt.Errorf("instance %s: %w", in.ID, err)
		}
		s.LogErrors += n
	}
	return s, nil
}
