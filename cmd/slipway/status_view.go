package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/controlplane"
	"github.com/slipway/slipway/internal/delivery"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/runtime"
	"github.com/slipway/slipway/internal/store"
)

// statusView is what `slipway status` shows, and its JSON shape.
type statusView struct {
	// ControlPlane is the control plane serving the state directory, if one runs.
	ControlPlane *controlPlaneStatus `json:"control_plane,omitempty"`
	Services     []serviceStatus     `json:"services"`
}

type controlPlaneStatus struct {
	PID     int       `json:"pid"`
	Started time.Time `json:"started"`
	LogFile string    `json:"log_file,omitempty"`
}

type serviceStatus struct {
	Name string `json:"name"`
	// Environments follow the service's config order; environments found only in
	// deployment records come after.
	Environments []envStatus      `json:"environments"`
	Releases     []releaseStatus  `json:"releases"`
	Rollouts     []rolloutStatus  `json:"rollouts"`
	Incidents    []incidentStatus `json:"incidents"`
}

type envStatus struct {
	Name      string `json:"name"`
	Promotion string `json:"promotion,omitempty"`
	Replicas  int    `json:"replicas,omitempty"`
	// Version and Digest are empty when nothing is deployed.
	Version    string           `json:"version,omitempty"`
	Digest     string           `json:"digest,omitempty"`
	URL        string           `json:"url,omitempty"`
	Healthy    bool             `json:"healthy"`
	SmokeOK    bool             `json:"smoke_ok"`
	DeployedAt *time.Time       `json:"deployed_at,omitempty"`
	Rollout    string           `json:"rollout,omitempty"`
	Instances  []instanceStatus `json:"instances"`
	Warm       *warmStatus      `json:"warm,omitempty"`
	Candidate  *candidateStatus `json:"candidate,omitempty"`
}

type instanceStatus struct {
	ID      string `json:"id,omitempty"`
	Version string `json:"version,omitempty"`
	URL     string `json:"url"`
	PID     int    `json:"pid,omitempty"`
	Healthy bool   `json:"healthy"`
	Log     string `json:"log,omitempty"`
}

type warmStatus struct {
	Version   string           `json:"version"`
	Digest    string           `json:"digest"`
	Until     time.Time        `json:"until"`
	Instances []instanceStatus `json:"instances"`
}

type candidateStatus struct {
	Version   string           `json:"version"`
	Digest    string           `json:"digest"`
	Rollout   string           `json:"rollout"`
	Hotfix    bool             `json:"hotfix,omitempty"`
	Healthy   bool             `json:"healthy"`
	Instances []instanceStatus `json:"instances"`
}

type releaseStatus struct {
	Version string    `json:"version"`
	Tag     string    `json:"tag,omitempty"`
	Commit  string    `json:"commit,omitempty"`
	Digest  string    `json:"digest,omitempty"`
	Hotfix  bool      `json:"hotfix,omitempty"`
	Created time.Time `json:"created"`
	// Ready: the environment before the last one runs this digest with its smoke
	// tests passed, so the release may go to the last one.
	Ready bool `json:"ready"`
	// WaitingFor names the environment whose manual promotion this release waits for.
	WaitingFor string `json:"waiting_for,omitempty"`
	// Running lists the environments whose current deployment is this digest.
	Running []string `json:"running,omitempty"`
	// RollingOut names the environment it is the candidate of a rollout in.
	RollingOut string `json:"rolling_out,omitempty"`
}

type rolloutStatus struct {
	ID         string        `json:"id"`
	Env        string        `json:"env"`
	Stable     string        `json:"stable"`
	Candidate  string        `json:"candidate"`
	Profile    string        `json:"profile,omitempty"`
	Phase      rollout.Phase `json:"phase"`
	Weight     int           `json:"weight"`
	Verdict    string        `json:"verdict,omitempty"`
	StartedAt  time.Time     `json:"started_at,omitzero"`
	FinishedAt time.Time     `json:"finished_at,omitzero"`
}

type incidentStatus struct {
	ID       string          `json:"id"`
	Status   incident.Status `json:"status"`
	Severity string          `json:"severity,omitempty"`
	Env      string          `json:"env"`
	Version  string          `json:"version"`
	Stable   string          `json:"stable,omitempty"`
	Rollout  string          `json:"rollout,omitempty"`
	Title    string          `json:"title"`
	OpenedAt time.Time       `json:"opened_at"`
}

// aliveFunc reports whether an instance answers its health check.
type aliveFunc func(ctx context.Context, in runtime.Instance) bool

// collectStatus reads every service in st (only service when not empty) into a
// statusView.
func collectStatus(ctx context.Context, st *store.Store, service string, alive aliveFunc) (statusView, error) {
	c := statusCollector{byName: map[string]*serviceState{}}
	if err := c.read(ctx, st); err != nil {
		return statusView{}, err
	}
	view := statusView{Services: []serviceStatus{}}
	for _, name := range c.order {
		if service != "" && name != service {
			continue
		}
		view.Services = append(view.Services, c.byName[name].status(ctx, alive))
	}
	if service != "" && len(view.Services) == 0 {
		return view, fmt.Errorf("no service %q in the state (known: %s)", service, orNone(c.order))
	}
	return view, nil
}

// serviceState is what the store holds about one service.
type serviceState struct {
	name      string
	cfg       *config.Config
	deps      []deploymentRecord
	routers   map[string]controlplane.DataPlane
	releases  []delivery.Release
	rollouts  []rollout.Rollout
	incidents []incident.Incident
}

type statusCollector struct {
	order  []string
	byName map[string]*serviceState
}

func (c *statusCollector) service(name string) *serviceState {
	s, ok := c.byName[name]
	if !ok {
		s = &serviceState{name: name, routers: map[string]controlplane.DataPlane{}}
		c.byName[name] = s
		c.order = append(c.order, name)
	}
	return s
}

// read loads every record kind status shows, services first so that their
// order is the order they were set up in.
func (c *statusCollector) read(ctx context.Context, st *store.Store) error {
	err := listRecords(ctx, st, "service", func(_ string, cfg config.Config) {
		c.service(cfg.Service).cfg = &cfg
	})
	if err == nil {
		err = listRecords(ctx, st, "deployment", func(id string, d deploymentRecord) {
			s := c.service(recordService(id))
			s.deps = append(s.deps, d)
		})
	}
	if err == nil {
		err = listRecords(ctx, st, "router", func(id string, d controlplane.DataPlane) {
			c.service(recordService(id)).routers[d.Env] = d
		})
	}
	if err == nil {
		err = listRecords(ctx, st, "release", func(id string, r delivery.Release) {
			s := c.service(recordService(id))
			s.releases = append(s.releases, r)
		})
	}
	if err == nil {
		err = listRecords(ctx, st, "rollout", func(_ string, r rollout.Rollout) {
			s := c.service(r.Service)
			s.rollouts = append(s.rollouts, r)
		})
	}
	if err != nil {
		return err
	}
	incs, err := (&incident.Manager{Store: st}).List(ctx)
	if err != nil {
		return err
	}
	for _, in := range incs {
		s := c.service(in.Service)
		s.incidents = append(s.incidents, in)
	}
	return nil
}

// listRecords decodes every record of kind into a T and hands it to fn with its id.
func listRecords[T any](ctx context.Context, st *store.Store, kind string, fn func(id string, v T)) error {
	return st.List(ctx, kind, func(id string, raw json.RawMessage) error {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("read %s record %s: %w", kind, id, err)
		}
		fn(id, v)
		return nil
	})
}

// recordService is the service part of a "<service>/<...>" record id.
func recordService(id string) string {
	s, _, _ := strings.Cut(id, "/")
	return s
}

func (s *serviceState) status(ctx context.Context, alive aliveFunc) serviceStatus {
	out := serviceStatus{Name: s.name, Environments: []envStatus{}, Releases: []releaseStatus{},
		Rollouts: []rolloutStatus{}, Incidents: []incidentStatus{}}
	deps := map[string]deploymentRecord{}
	for _, d := range s.deps {
		deps[d.Env] = d
	}
	envs := s.envNames()
	for _, env := range envs {
		out.Environments = append(out.Environments, s.env(ctx, env, deps, alive))
	}
	for _, r := range s.releases {
		out.Releases = append(out.Releases, s.release(r, envs, deps))
	}
	for _, r := range s.rollouts {
		verdict := r.Reason
		if verdict == "" && r.Last.Outcome != "" {
			verdict = string(r.Last.Outcome) + ": " + r.Last.Reason
		}
		out.Rollouts = append(out.Rollouts, rolloutStatus{ID: r.ID, Env: r.Env, Stable: r.Stable.Version, Candidate: r.Candidate.Version,
			Profile: r.Profile, Phase: r.Phase, Weight: r.Weight, Verdict: verdict, StartedAt: r.StartedAt, FinishedAt: r.FinishedAt})
	}
	for _, in := range s.incidents {
		out.Incidents = append(out.Incidents, incidentStatus{ID: in.ID, Status: in.Status, Severity: in.Severity, Env: in.Env,
			Version: in.AffectedVersion, Stable: in.StableVersion, Rollout: in.Rollout, Title: in.Title, OpenedAt: in.OpenedAt})
	}
	return out
}

// envNames lists the environments in promotion order: the config's, then any
// other environment a deployment record names.
func (s *serviceState) envNames() []string {
	var names []string
	seen := map[string]bool{}
	add := func(n string) {
		if !seen[n] {
			seen[n] = true
			names = append(names, n)
		}
	}
	if s.cfg != nil {
		for _, e := range s.cfg.Environments {
			add(e.Name)
		}
	}
	for _, d := range s.deps {
		add(d.Env)
	}
	return names
}

func (s *serviceState) envConfig(name string) (config.Environment, bool) {
	if s.cfg != nil {
		for _, e := range s.cfg.Environments {
			if e.Name == name {
				return e, true
			}
		}
	}
	return config.Environment{}, false
}

func (s *serviceState) env(ctx context.Context, name string, deps map[string]deploymentRecord, alive aliveFunc) envStatus {
	e := envStatus{Name: name, Instances: []instanceStatus{}}
	if ec, ok := s.envConfig(name); ok {
		e.Promotion, e.Replicas = ec.Promotion, max(ec.Replicas, 1)
	}
	if r, ok := s.routers[name]; ok && r.Listen != "" {
		e.URL = r.URL()
	}
	d, ok := deps[name]
	if !ok {
		return e
	}
	e.Version, e.Digest, e.SmokeOK, e.Rollout = d.Version, d.Digest, d.SmokeOK, d.Rollout
	if !d.DeployedAt.IsZero() {
		at := d.DeployedAt
		e.DeployedAt = &at
	}
	e.Instances = instances(ctx, d.Instances, alive)
	e.Healthy = allHealthy(e.Instances)
	if d.Warm != nil {
		e.Warm = &warmStatus{Version: d.Warm.Version, Digest: d.Warm.Digest, Until: d.Warm.WarmUntil,
			Instances: instances(ctx, d.Warm.Instances, alive)}
	}
	if p := d.Pending; p != nil {
		c := &candidateStatus{Version: p.Version, Digest: p.Digest, Rollout: p.Rollout, Hotfix: p.Hotfix,
			Instances: instances(ctx, d.Candidates, alive)}
		c.Healthy = allHealthy(c.Instances)
		e.Candidate = c
	}
	return e
}

// allHealthy reports whether there are instances and every one answers.
func allHealthy(ins []instanceStatus) bool {
	for _, in := range ins {
		if !in.Healthy {
			return false
		}
	}
	return len(ins) > 0
}

func instances(ctx context.Context, ins []runtime.Instance, alive aliveFunc) []instanceStatus {
	out := make([]instanceStatus, 0, len(ins))
	for _, in := range ins {
		out = append(out, instanceStatus{ID: in.ID, Version: in.Version, URL: in.URL, PID: in.PID, Log: in.Log,
			Healthy: in.URL != "" && alive(ctx, in)})
	}
	return out
}

// release says where r runs and whether it may go on: it is ready once the
// environment before the last one runs its digest green, and it waits for the
// first environment with manual promotion whose predecessor runs it green.
func (s *serviceState) release(r delivery.Release, envs []string, deps map[string]deploymentRecord) releaseStatus {
	out := releaseStatus{Version: r.Version, Tag: r.Tag, Commit: r.Commit, Digest: r.Artifact.Digest, Hotfix: r.Hotfix, Created: r.Created}
	green := func(env string) bool {
		d, ok := deps[env]
		return ok && r.Artifact.Digest != "" && d.Digest == r.Artifact.Digest && d.SmokeOK
	}
	for _, env := range envs {
		d, ok := deps[env]
		if !ok || r.Artifact.Digest == "" {
			continue
		}
		if d.Digest == r.Artifact.Digest {
			out.Running = append(out.Running, env)
		}
		if d.Pending != nil && d.Pending.Digest == r.Artifact.Digest {
			out.RollingOut = env
		}
	}
	if s.cfg == nil || len(s.cfg.Environments) == 0 {
		return out
	}
	cfgEnvs := s.cfg.Environments
	out.Ready = len(cfgEnvs) == 1 || green(cfgEnvs[len(cfgEnvs)-2].Name)
	for i := 1; i < len(cfgEnvs); i++ {
		env := cfgEnvs[i]
		d := deps[env.Name]
		if d.Digest == r.Artifact.Digest || d.Pending != nil && d.Pending.Digest == r.Artifact.Digest {
			continue // there already, or on its way in
		}
		if env.Promotion == "manual" && green(cfgEnvs[i-1].Name) {
			out.WaitingFor = env.Name
		}
		break
	}
	return out
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
