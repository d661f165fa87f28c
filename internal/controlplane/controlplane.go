// Package controlplane assembles Slipway's control plane for one service from its
// state directory: the store, the artifact store, the runtime target, the routers
// registered for each environment, the deployer, the rollout controller and the
// incident manager. A control plane that was killed is opened again the same way and
// resumes from the store.
package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/analysis/compose"
	"github.com/slipway/slipway/internal/analysis/process"
	"github.com/slipway/slipway/internal/analysis/prometheus"
	routermetrics "github.com/slipway/slipway/internal/analysis/router"
	"github.com/slipway/slipway/internal/artifact"
	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/notify"
	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/router"
	"github.com/slipway/slipway/internal/runtime"
	localrt "github.com/slipway/slipway/internal/runtime/local"
	"github.com/slipway/slipway/internal/store"
)

// Options say where the state is and how to talk.
type Options struct {
	// Data is the state directory (slipway.db, artifacts, instances).
	Data string
	// Config is the service's configuration; it is saved to the store. Nil reads the
	// one saved there before (Service names it when several services share Data).
	Config *config.Config
	// Service picks the stored configuration when Config is nil.
	Service string
	// Out receives human progress lines; may be nil.
	Out io.Writer
	// Notifier announces incidents; nil announces nothing. The configuration's
	// notify.webhook is added to it.
	Notifier notify.Notifier
	// Policy is a policy file pinned outside the repositories (see
	// config.PolicyFile): its environments' keys and gates override what a
	// commit's slipway.yaml says. Empty: $SLIPWAY_POLICY, else none.
	Policy string
}

// Plane is an opened control plane.
type Plane struct {
	Data      string
	Config    *config.Config
	Store     *store.Store
	Artifacts *artifact.Store
	Target    *localrt.Target
	Deployer  *deploy.Deployer
	Rollouts  *rollout.Controller
	Incidents *incident.Manager

	mu        sync.Mutex
	routers   map[string]*router.Client
	providers map[string]analysis.Provider // by env
	httpc     *http.Client
	api       *API // the control plane's listener; nil outside one
}

// DataPlane is where an environment's router listens; stored as record "router"
// with id "<service>/<env>".
type DataPlane struct {
	Service string `json:"service"`
	Env     string `json:"env"`
	Listen  string `json:"listen"`
	Admin   string `json:"admin"`
	PID     int    `json:"pid,omitempty"`
	// Boot is the router process's start time (see local.StartTime): with PID it
	// tells the router from a process that reused its pid.
	Boot uint64 `json:"boot,omitempty"`
}

// URL is the address users reach the environment at.
func (d DataPlane) URL() string { return "http://" + d.Listen }

// AdminURL is the router's admin API.
func (d DataPlane) AdminURL() string { return "http://" + d.Admin }

// Open assembles the control plane in o.Data.
func Open(ctx context.Context, o Options) (*Plane, error) {
	data, err := filepath.Abs(o.Data)
	if err != nil {
		return nil, fmt.Errorf("state directory %s: %w", o.Data, err)
	}
	o.Data = data
	st, err := store.Open(ctx, filepath.Join(o.Data, "slipway.db"))
	if err != nil {
		return nil, err
	}
	cfg := o.Config
	if cfg != nil {
		err = st.Put(ctx, "service", cfg.Service, cfg)
	} else {
		cfg, err = StoredConfig(ctx, st, o.Service)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	notifier, err := notifierFor(cfg, o.Notifier)
	if err != nil {
		st.Close()
		return nil, err
	}
	artOpts, err := artifact.Configure(cfg.Artifacts)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("%s: artifacts: %w", cfg.Service, err)
	}
	arts, err := artifact.Open(filepath.Join(o.Data, "artifacts"), artOpts...)
	if err != nil {
		st.Close()
		return nil, err
	}
	p := &Plane{Data: o.Data, Config: cfg, Store: st, Artifacts: arts, Target: localrt.New(),
		routers: map[string]*router.Client{}, providers: map[string]analysis.Provider{}, httpc: &http.Client{Timeout: 5 * time.Second}}
	p.Incidents = &incident.Manager{Store: st, Notifier: notifier}
	if err := ConfigureIncidents(p.Incidents, cfg, nil); err != nil {
		st.Close()
		return nil, err
	}
	p.Rollouts = &rollout.Controller{Store: st, Router: p.splitter, Metrics: p.metrics, Out: o.Out}
	pinned, err := config.LoadPolicyFile(o.Policy)
	if err != nil {
		st.Close()
		return nil, err
	}
	p.Deployer = &deploy.Deployer{Config: cfg, Store: st, Artifacts: arts, Pinned: pinned, Target: p.Target, Router: p.splitter,
		Rollouts: p.Rollouts, Dir: o.Data, Out: o.Out, RolledBack: p.openIncident}
	return p, nil
}

// Close releases the store.
func (p *Plane) Close() error { return p.Store.Close() }

// Register records where env's router listens.
func (p *Plane) Register(ctx context.Context, d DataPlane) error {
	d.Service = p.Config.Service
	return p.Store.Put(ctx, "router", d.Service+"/"+d.Env, d)
}

// DataPlane returns env's registered router.
func (p *Plane) DataPlane(ctx context.Context, env string) (DataPlane, error) {
	var d DataPlane
	if err := p.Store.Get(ctx, "router", p.Config.Service+"/"+env, &d); err != nil {
		return d, fmt.Errorf("router of %s in %s: %w (is the data plane registered?)", p.Config.Service, env, err)
	}
	return d, nil
}

// splitter returns the admin client of env's router.
func (p *Plane) splitter(service, env string) rollout.Splitter {
	d, err := p.DataPlane(context.Background(), env)
	if err != nil {
		return failing{err}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.routers[d.Admin]
	if !ok {
		c = &router.Client{AdminURL: d.AdminURL(), HTTP: p.httpc}
		p.routers[d.Admin] = c
	}
	return c
}

// metrics returns the provider env's rollout reads: its router's series with the
// instances' CPU, memory and error logs, or a Prometheus server.
func (p *Plane) metrics(service, env string) analysis.Provider {
	p.mu.Lock()
	defer p.mu.Unlock()
	if prov, ok := p.providers[env]; ok {
		return prov
	}
	prov, err := p.newProvider(env)
	if err != nil {
		return failing{err}
	}
	p.providers[env] = prov
	return prov
}

func (p *Plane) newProvider(env string) (analysis.Provider, error) {
	e, ok := p.Config.Env(env) // p.mu is held
	if !ok || e.Rollout == nil {
		return nil, fmt.Errorf("metrics of %s: no rollout configured", env)
	}
	if a := e.Rollout.Analysis; a.Provider == "prometheus" {
		q := a.Prometheus.Queries
		return prometheus.New(prometheus.Options{Address: a.Prometheus.Address, Timeout: a.Prometheus.Timeout.D(), Client: p.httpc,
			Queries: prometheus.Queries{Requests: q.Requests, Errors: q.Errors, Buckets: q.Buckets, Sum: q.Sum, Up: q.Up}})
	}
	d, err := p.DataPlane(context.Background(), env)
	if err != nil {
		return nil, err
	}
	procs := process.New(p.instances)
	procs.Baseline = p.baseline
	return compose.New(routermetrics.New(d.AdminURL(), p.httpc), procs)
}

// baseline lists the instances of the baseline a pending rollout runs of version.
func (p *Plane) baseline(ctx context.Context, service, env, version string) ([]runtime.Instance, error) {
	dep, err := p.Deployer.Current(ctx, env)
	if errors.Is(err, store.ErrNotFound) || err == nil && (dep.Pending == nil || dep.Version != version) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return dep.Pending.Baseline, nil
}

// instances lists the running instances of a version, from the deployment record.
func (p *Plane) instances(ctx context.Context, service, env, version string) ([]runtime.Instance, error) {
	dep, err := p.Deployer.Current(ctx, env)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	switch {
	case dep.Version == version:
		return dep.Instances, nil
	case dep.Pending != nil && dep.Pending.Version == version:
		return dep.Pending.Instances, nil
	case dep.Warm != nil && dep.Warm.Version == version:
		return dep.Warm.Instances, nil
	}
	return nil, nil
}

// openIncident opens the incident of a rolled back rollout and drafts its
// post-mortem, whoever drove the rollout.
func (p *Plane) openIncident(ctx context.Context, r *rollout.Rollout) error {
	inc, err := p.Incidents.OpenForRollout(ctx, r.ID)
	if err != nil && !p.announcementOnly(ctx, inc, err) {
		return err
	}
	_, err = p.DraftPostMortem(ctx, inc.ID)
	return err
}

// StoredConfig returns the configuration of service saved in st; with service
// empty, the only one there.
func StoredConfig(ctx context.Context, st *store.Store, service string) (*config.Config, error) {
	if service != "" {
		var c config.Config
		if err := st.Get(ctx, "service", service, &c); err != nil {
			return nil, fmt.Errorf("service %s: %w (slipway status lists the services)", service, err)
		}
		return &c, nil
	}
	var cfgs []*config.Config
	err := st.List(ctx, "service", func(_ string, raw json.RawMessage) error {
		var c config.Config
		if err := json.Unmarshal(raw, &c); err != nil {
			return err
		}
		cfgs = append(cfgs, &c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	switch len(cfgs) {
	case 0:
		return nil, errors.New("no service in this state directory yet (slipway up starts one)")
	case 1:
		return cfgs[0], nil
	default:
		names := make([]string, len(cfgs))
		for i, c := range cfgs {
			names[i] = c.Service
		}
		return nil, fmt.Errorf("%d services share this state directory (%s): name one with --service", len(cfgs), strings.Join(names, ", "))
	}
}

// failing is a splitter and provider that reports why it cannot work.
type failing struct{ err error }

func (f failing) Apply(context.Context, router.Config) (router.Config, error) {
	return router.Config{}, f.err
}
func (f failing) Query(context.Context, analysis.Query) (analysis.Series, error) {
	return analysis.Series{}, f.err
}

// config is the service's configuration in force.
func (p *Plane) config() *config.Config {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.Config
}

// SetConfig puts cfg in force, as shipped with a release: it is saved to the store,
// metrics providers are built from it from now on, and incidents are announced on
// the Slack and PagerDuty it names (a notify section it drops stops them).
func (p *Plane) SetConfig(ctx context.Context, cfg *config.Config) error {
	var out io.Writer
	if p.Deployer != nil {
		out = p.Deployer.Out
	}
	chat, pager, err := incidentChannels(cfg, out) // before anything changes
	if err != nil {
		return err
	}
	if err := p.Store.Put(ctx, "service", cfg.Service, cfg); err != nil {
		return err
	}
	if p.Incidents != nil {
		p.Incidents.SetChannels(chat, pager)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.Config = cfg
	p.providers = map[string]analysis.Provider{}
	return nil
}
