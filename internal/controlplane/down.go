package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/slipway/slipway/internal/config"
	localrt "github.com/slipway/slipway/internal/runtime/local"
	"github.com/slipway/slipway/internal/store"
)

// Stopped is what Down stopped.
type Stopped struct {
	// ControlPlane is the pid of the control plane stopped; 0 when none ran.
	ControlPlane int `json:"control_plane,omitempty"`
	// Routers and Services name what was stopped ("<service>/<env>").
	Routers  []string `json:"routers"`
	Services []string `json:"services"`
}

// Down stops what `slipway up` started for the state directory data: the control
// plane (SIGTERM, then SIGKILL after grace), every recorded instance, and every
// recorded router - each only when it is still the process that was recorded, so
// nothing else is ever signalled. The records stay: the next Up brings the same
// versions back, on the same addresses when they are free.
func Down(ctx context.Context, data string, grace time.Duration) (Stopped, error) {
	var out Stopped
	if in, ok := Running(data); ok {
		out.ControlPlane = in.PID
		_ = syscall.Kill(in.PID, syscall.SIGTERM)
		deadline := time.Now().Add(grace)
		for localrt.SameProcess(in.PID, in.Boot) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if localrt.SameProcess(in.PID, in.Boot) {
			_ = syscall.Kill(in.PID, syscall.SIGKILL)
		}
		os.Remove(filepath.Join(data, infoFile))
		os.Remove(filepath.Join(data, pidFile))
	}
	if _, err := os.Stat(filepath.Join(data, "slipway.db")); err != nil {
		return out, nil
	}
	st, err := store.Open(ctx, filepath.Join(data, "slipway.db"))
	if err != nil {
		return out, err
	}
	var names []string
	err = st.List(ctx, "service", func(id string, raw json.RawMessage) error {
		var c config.Config
		if err := json.Unmarshal(raw, &c); err != nil {
			return err
		}
		names = append(names, c.Service)
		return nil
	})
	st.Close()
	if err != nil {
		return out, err
	}
	var errs []error
	for _, name := range names {
		p, err := Open(ctx, Options{Data: data, Service: name})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := p.Deployer.StopAll(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop instances of %s: %w", name, err))
		}
		out.Services = append(out.Services, name)
		for _, env := range p.Config.Environments {
			dp, err := p.DataPlane(ctx, env.Name)
			if err != nil || dp.PID == 0 {
				continue
			}
			if localrt.SameProcess(dp.PID, dp.Boot) {
				dp.Stop()
				out.Routers = append(out.Routers, name+"/"+env.Name)
			}
			dp.PID, dp.Boot = 0, 0
			if err := p.Register(ctx, dp); err != nil {
				errs = append(errs, err)
			}
		}
		p.Close()
	}
	return out, errors.Join(errs...)
}
