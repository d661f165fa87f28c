package controlplane

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/slipway/slipway/internal/router"
	localrt "github.com/slipway/slipway/internal/runtime/local"
)

// SpawnRouter runs `slipway router` for env as its own process, in its own process
// group so that it outlives the control plane, with its state in dir. It returns
// once the router listens.
func SpawnRouter(ctx context.Context, slipway, dir, env string) (DataPlane, error) {
	return StartRouter(ctx, RouterSpec{Slipway: slipway, Dir: dir, Env: env})
}

// RouterSpec says how to run one environment's router.
type RouterSpec struct {
	// Slipway is the binary the router runs from.
	Slipway string
	// Dir keeps the router's state (last applied config), ready file and log.
	Dir string
	Env string
	// Listen is the address users reach the environment at. Default 127.0.0.1:0 (a
	// free port).
	Listen string
}

// StartRouter runs the router s describes; see SpawnRouter.
func StartRouter(ctx context.Context, s RouterSpec) (DataPlane, error) {
	slipway, dir, env := s.Slipway, s.Dir, s.Env
	listen := s.Listen
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return DataPlane{}, err
	}
	ready := filepath.Join(dir, env+".ready")
	os.Remove(ready)
	logPath := filepath.Join(dir, env+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return DataPlane{}, err
	}
	defer logf.Close()
	cmd := exec.Command(slipway, "router", "--listen", listen, "--admin", "127.0.0.1:0",
		"--state", filepath.Join(dir, env+".json"), "--ready-file", ready)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return DataPlane{}, fmt.Errorf("start router for %s: %w", env, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	timeout := time.After(15 * time.Second)
	for {
		if b, err := os.ReadFile(ready); err == nil {
			var r router.Ready
			if err := json.Unmarshal(b, &r); err != nil {
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				return DataPlane{}, fmt.Errorf("router for %s: bad ready file: %w", env, err)
			}
			boot, _ := localrt.StartTime(cmd.Process.Pid)
			return DataPlane{Env: env, Listen: r.Listen, Admin: r.Admin, PID: cmd.Process.Pid, Boot: boot}, nil
		}
		select {
		case err := <-exited:
			return DataPlane{}, fmt.Errorf("router for %s exited at start: %v (log: %s)", env, err, logPath)
		case <-ctx.Done():
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			return DataPlane{}, ctx.Err()
		case <-timeout:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			return DataPlane{}, fmt.Errorf("router for %s did not start within 15s (log: %s)", env, logPath)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Stop ends the router gracefully: in-flight requests finish, then it exits. A
// recorded process that is no longer the router (its pid reused) is left alone.
func (d DataPlane) Stop() {
	if d.PID <= 0 || !localrt.SameProcess(d.PID, d.Boot) {
		return
	}
	syscall.Kill(-d.PID, syscall.SIGTERM)
	for i := 0; i < 250 && alive(d.PID); i++ {
		time.Sleep(20 * time.Millisecond)
	}
	syscall.Kill(-d.PID, syscall.SIGKILL)
}

// alive reports whether pid runs and is not a zombie.
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	for i := len(b) - 1; i > 0; i-- {
		if b[i] == ')' && i+2 < len(b) {
			return b[i+2] != 'Z'
		}
	}
	return true
}
