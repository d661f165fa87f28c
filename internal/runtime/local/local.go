// Package local runs service instances as processes on this machine, each on its own
// loopback port, in its own process group so that they outlive the control plane.
package local

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/slipway/slipway/internal/runtime"
)

var _ runtime.Target = (*Target)(nil)

// Target starts instances as local processes.
type Target struct {
	// StartTimeout bounds how long an instance may take to become healthy. Default 20s.
	StartTimeout time.Duration
	// Grace is how long Stop waits after SIGTERM before SIGKILL. Default 5s.
	Grace time.Duration

	mu    sync.Mutex
	procs map[int]child // started by this process, by PID
}

// child is a process this Target started: reaped is closed once cmd.Wait returned.
type child struct {
	boot   uint64
	reaped chan struct{}
}

// New returns a Target with default timeouts.
func New() *Target { return &Target{} }

// Start runs s.Binary on a free loopback port and waits until it is healthy.
func (t *Target) Start(ctx context.Context, s runtime.Spec) (runtime.Instance, error) {
	port, err := freePort()
	if err != nil {
		return runtime.Instance{}, fmt.Errorf("start %s %s in %s: %w", s.Service, s.Version, s.Env, err)
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return runtime.Instance{}, fmt.Errorf("start %s %s in %s: %w", s.Service, s.Version, s.Env, err)
	}
	logPath := filepath.Join(s.Dir, fmt.Sprintf("%s-%s-%d.log", s.Env, s.Version, port))
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return runtime.Instance{}, fmt.Errorf("start %s %s in %s: %w", s.Service, s.Version, s.Env, err)
	}
	defer logf.Close()
	portEnv := s.PortEnv
	if portEnv == "" {
		portEnv = "PORT"
	}
	// Not CommandContext: the instance must outlive ctx and this process.
	cmd := exec.Command(s.Binary)
	cmd.Dir = s.Dir
	cmd.Env = append(os.Environ(), s.Environ...)
	cmd.Env = append(cmd.Env, portEnv+"="+strconv.Itoa(port), "SLIPWAY_SERVICE="+s.Service, "SLIPWAY_ENV="+s.Env, "SLIPWAY_VERSION="+s.Version)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return runtime.Instance{}, fmt.Errorf("start %s %s in %s: %w", s.Service, s.Version, s.Env, err)
	}
	exited := make(chan error, 1)
	reaped := make(chan struct{})
	go func() {
		err := cmd.Wait()
		close(reaped)
		exited <- err
	}()
	health := s.Health
	if health == "" {
		health = runtime.DefaultHealth
	}
	// Until it is reaped the child's stat stays readable, even if it already
	// exited; a zero Boot (no /proc) falls back to checking the PID alone.
	boot, _ := StartTime(cmd.Process.Pid)
	t.mu.Lock()
	if t.procs == nil {
		t.procs = map[int]child{}
	}
	t.procs[cmd.Process.Pid] = child{boot: boot, reaped: reaped}
	t.mu.Unlock()
	in := runtime.Instance{
		ID:      fmt.Sprintf("%s-%s-%s-%d", s.Service, s.Env, s.Version, cmd.Process.Pid),
		Service: s.Service, Env: s.Env, Version: s.Version,
		URL: fmt.Sprintf("http://127.0.0.1:%d", port), PID: cmd.Process.Pid, Log: logPath, Started: time.Now(),
		Health: health, Boot: boot,
	}
	timeout := t.StartTimeout
	if timeout == 0 {
		timeout = 20 * time.Second
	}
	if err := waitHealthy(ctx, in.HealthURL(), timeout, exited); err != nil {
		t.Stop(context.WithoutCancel(ctx), in)
		return runtime.Instance{}, fmt.Errorf("start %s %s in %s: %w (log: %s)", s.Service, s.Version, s.Env, err, logPath)
	}
	return in, nil
}

// Stop terminates the instance's process group: SIGTERM, then SIGKILL after Grace.
// A process that is gone, or whose PID now belongs to another process (its start
// time differs from in.Boot), is left alone.
func (t *Target) Stop(ctx context.Context, in runtime.Instance) error {
	if in.PID <= 0 {
		return nil
	}
	if !t.same(in) {
		t.forget(in)
		return nil
	}
	grace := t.Grace
	if grace == 0 {
		grace = 5 * time.Second
	}
	_ = syscall.Kill(-in.PID, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for t.same(in) {
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = syscall.Kill(-in.PID, syscall.SIGKILL)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.forget(in)
	return nil
}

// forget drops in's process from the children this Target watches, unless its PID
// now belongs to a newer child.
func (t *Target) forget(in runtime.Instance) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.procs[in.PID]; ok && (in.Boot == 0 || c.boot == 0 || c.boot == in.Boot) {
		delete(t.procs, in.PID)
	}
}

// Alive reports whether the instance's own process runs and answers on its health
// path.
func (t *Target) Alive(ctx context.Context, in runtime.Instance) bool {
	if in.PID > 0 && !t.same(in) {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, in.HealthURL(), nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode < 500
}

// same reports whether the instance's own process still runs. For children of
// this process the reaper goroutine (cmd.Wait) decides, since their PID cannot be
// reused before they are reaped; for adopted ones, the PID must name a live process
// that started at in.Boot.
func (t *Target) same(in runtime.Instance) bool {
	t.mu.Lock()
	c, ours := t.procs[in.PID]
	t.mu.Unlock()
	if ours && in.Boot != 0 && c.boot != 0 && c.boot != in.Boot {
		return false // a newer child of ours reuses the PID; in's process is gone
	}
	if ours {
		select {
		case <-c.reaped:
			return false
		default:
			return true
		}
	}
	if syscall.Kill(in.PID, 0) != nil {
		return false
	}
	return SameProcess(in.PID, in.Boot)
}

func waitHealthy(ctx context.Context, url string, timeout time.Duration, exited <-chan error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(25 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			if err == nil {
				err = errors.New("exit status 0")
			}
			return fmt.Errorf("exited before becoming healthy: %w", err)
		case <-ctx.Done():
			return fmt.Errorf("not healthy at %s after %s", url, timeout)
		case <-tick.C:
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
