package controlplane

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"time"

	localrt "github.com/slipway/slipway/internal/runtime/local"
	"github.com/slipway/slipway/internal/store"
)

// start brings the service's data plane up: a router per environment (adopted when
// the one recorded still runs), and every environment's recorded deployment serving
// again.
func (s *service) start(ctx context.Context) error {
	cfg := s.plane.config()
	for _, env := range cfg.Environments {
		dp, err := s.ensureRouter(ctx, env.Name)
		if err != nil {
			return fmt.Errorf("up: %s in %s: %w", s.name, env.Name, err)
		}
		s.log.Info("environment served", "env", env.Name, "url", dp.URL())
	}
	d := s.deployer(cfg)
	for _, env := range cfg.Environments {
		dep, err := d.Restore(ctx, env.Name)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("up: %s in %s: %w", s.name, env.Name, err)
		}
		s.log.Info("environment runs its recorded version", "env", env.Name, "version", dep.Version, "instances", len(dep.Instances))
	}
	return nil
}

// ensureRouter adopts env's recorded router when it is still the same process and
// answers; otherwise it starts one, on the recorded address when it is free so the
// environment's URL does not change.
func (s *service) ensureRouter(ctx context.Context, env string) (DataPlane, error) {
	old, err := s.plane.DataPlane(ctx, env)
	if err == nil && old.PID > 0 && localrt.SameProcess(old.PID, old.Boot) {
		if answers(ctx, old.AdminURL()+"/healthz") || answers(ctx, old.URL()) {
			s.log.Info("router adopted", "env", env, "pid", old.PID, "url", old.URL())
			return old, nil
		}
		s.log.Warn("recorded router does not answer: replacing it", "env", env, "pid", old.PID)
		old.Stop()
	}
	listen := ""
	if err == nil && old.Listen != "" && portFree(old.Listen) {
		listen = old.Listen
	}
	dp, err := StartRouter(ctx, RouterSpec{Slipway: s.up.Slipway, Dir: filepath.Join(s.plane.Data, "routers", s.name), Env: env, Listen: listen})
	if err != nil {
		return dp, err
	}
	if err := s.plane.Register(ctx, dp); err != nil {
		dp.Stop()
		return dp, err
	}
	if old.Listen != "" && old.Listen != dp.Listen {
		s.log.Warn("environment URL changed: its old address is taken", "env", env, "was", old.URL(), "now", dp.URL())
	}
	s.log.Info("router started", "env", env, "pid", dp.PID, "url", dp.URL())
	return dp, nil
}

// answers reports whether url responds to HTTP at all.
func answers(ctx context.Context, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

// portFree reports whether addr can be listened on now.
func portFree(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// info says where the service's environments answer and what they run.
func (s *service) info(ctx context.Context) ServiceInfo {
	si := ServiceInfo{Name: s.name, Dir: s.dir}
	for _, env := range s.plane.config().Environments {
		ei := EnvInfo{Name: env.Name}
		if dp, err := s.plane.DataPlane(ctx, env.Name); err == nil {
			ei.URL = dp.URL()
		}
		if dep, err := s.plane.Deployer.Current(ctx, env.Name); err == nil {
			ei.Version = dep.Version
		}
		si.Environments = append(si.Environments, ei)
	}
	return si
}

// resumeRollouts drives every rollout a previous control plane left unfinished to
// its end, each holding its environment.
func (s *service) resumeRollouts(ctx context.Context) {
	cfg := s.plane.config()
	for _, env := range cfg.Environments {
		dep, err := s.plane.Deployer.Current(ctx, env.Name)
		if err != nil || dep.Pending == nil {
			continue
		}
		go func() {
			defer s.lockEnv(env.Name)()
			r, ok, err := s.deployer(cfg).ResumeEnv(ctx, env.Name)
			if ok {
				s.log.Info("rollout resumed and ended", "env", r.Env, "version", r.Version, "outcome", r.Outcome)
			}
			if err != nil && ctx.Err() == nil {
				s.log.Error("resume rollout", "env", env.Name, "err", err)
			}
		}()
	}
}

// busy refuses a deploy to env while a rollout is under way there.
func (s *service) busy(ctx context.Context, env string) error {
	dep, err := s.plane.Deployer.Current(ctx, env)
	if err != nil || dep.Pending == nil {
		return nil
	}
	return fmt.Errorf("rollout %s of %s is under way in %s: wait for it to end, or 'slipway rollout abort %s'",
		dep.Pending.Rollout, dep.Pending.Version, env, dep.Pending.Rollout)
}
