package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/slipway/slipway/internal/router"
)

// dataPlane is one environment's router process.
type dataPlane struct {
	env    string
	pid    int
	listen string // data plane address
	admin  string // admin address
	client *router.Client
}

func (d *dataPlane) url() string      { return "http://" + d.listen }
func (d *dataPlane) adminURL() string { return "http://" + d.admin }

// startRouter runs `slipway router` for env as its own process (own process group, so
// it outlives the control plane) and waits for the addresses it bound.
func startRouter(ctx context.Context, slipway, dir, env string) (*dataPlane, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	ready := filepath.Join(dir, env+".ready")
	os.Remove(ready)
	logf, err := os.OpenFile(filepath.Join(dir, env+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(slipway, "router", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0",
		"--state", filepath.Join(dir, env+".json"), "--ready-file", ready)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start router for %s: %w", env, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if b, err := os.ReadFile(ready); err == nil {
			var r router.Ready
			if err := json.Unmarshal(b, &r); err != nil {
				return nil, fmt.Errorf("router for %s: bad ready file: %w", env, err)
			}
			dp := &dataPlane{env: env, pid: cmd.Process.Pid, listen: r.Listen, admin: r.Admin}
			dp.client = &router.Client{AdminURL: dp.adminURL()}
			return dp, nil
		}
		select {
		case err := <-exited:
			return nil, fmt.Errorf("router for %s exited at start: %v (log: %s)", env, err, logf.Name())
		case <-ctx.Done():
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			return nil, errors.New("router for " + env + " did not start within 15s")
		}
	}
}

// stop ends the router gracefully (in-flight requests finish).
func (d *dataPlane) stop() {
	syscall.Kill(-d.pid, syscall.SIGTERM)
	for i := 0; i < 250 && syscall.Kill(d.pid, 0) == nil; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	syscall.Kill(-d.pid, syscall.SIGKILL)
}
