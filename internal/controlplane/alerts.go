package controlplane

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"github.com/slipway/slipway/internal/alert"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/slo"
	"github.com/slipway/slipway/internal/store"
)

// AlertmanagerPath is where the control plane's API takes Alertmanager's webhook.
const AlertmanagerPath = "/api/v1/alertmanager"

// sloFile holds the per-minute counts the burn-rate alerts are evaluated on.
const sloFile = "slo.db"

// sloInterval is how often the routers' counts are recorded and the objectives
// evaluated: well inside the shortest alert window (5m).
var sloInterval = 15 * time.Second

// alerting is the control plane's alert path: Alertmanager's webhook on the API
// listener, and the burn-rate evaluation of every service's objectives. Both go
// through the service's alert.Responder.
type alerting struct {
	log      *slog.Logger
	samples  *slo.Samples
	services map[string]*service
	first    *service
}

// startAlerts registers the Alertmanager receiver on api and starts recording and
// evaluating the services' objectives; the returned func stops them.
func startAlerts(ctx context.Context, data string, log *slog.Logger, api *API, services []*service) (stop func()) {
	if len(services) == 0 {
		return func() {}
	}
	a := &alerting{log: log, services: map[string]*service{}, first: services[0]}
	for _, s := range services {
		a.services[s.name] = s
	}
	rc := &alert.Receiver{Marks: a.first.plane.Store, Handle: a.respond, Log: log}
	if err := api.Handle("POST "+AlertmanagerPath, rc); err != nil {
		log.Error("the Alertmanager receiver is not served", "err", err)
	}
	samples, err := slo.OpenSamples(ctx, filepath.Join(data, sloFile))
	if err != nil {
		log.Error("objectives are not evaluated: their samples cannot be kept", "err", err)
		return func() {}
	}
	a.samples = samples
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, s := range services {
		wg.Go(func() { a.watch(ctx, s) })
	}
	return func() {
		cancel()
		wg.Wait()
		samples.Close()
	}
}

// respond hands an alert to its service's responder.
func (a *alerting) respond(ctx context.Context, al alert.Alert) (alert.Outcome, error) {
	s, ok := a.services[al.Service]
	if !ok {
		out := alert.Outcome{Alert: al.Name, Action: alert.ActionUnmapped, Service: al.Service, Env: al.Env,
			Why: fmt.Sprintf("this control plane runs no service %q: label the alert with service and env", al.Service)}
		_, err := a.first.plane.Store.Append(ctx, store.Event{Kind: "alert.unmapped", Service: al.Service, Env: al.Env,
			Message: fmt.Sprintf("alert %s %s: %s", al.Name, al.Status, out.Why), Data: map[string]any{"alert": al}})
		return out, err
	}
	out, err := s.responder().Respond(ctx, al)
	if err == nil {
		s.log.Info("alert", "alert", al.Name, "status", al.Status, "env", al.Env, "version", out.Version, "action", out.Action, "why", out.Why)
	}
	return out, err
}

// responder maps the service's alerts to its deployments.
func (s *service) responder() *alert.Responder {
	p := s.plane
	return &alert.Responder{Service: s.name, Journal: p.Store, Current: p.Deployer.Current, Rollouts: p.Rollouts,
		Incidents: planeIncidents{p}}
}

// watch records s's routers and evaluates its objectives every sloInterval.
func (a *alerting) watch(ctx context.Context, s *service) {
	tick := time.NewTicker(sloInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if err := a.evaluate(ctx, s, time.Now()); err != nil && ctx.Err() == nil {
			s.log.Warn("evaluate objectives", "err", err)
		}
	}
}

// evaluate records what every environment's router counted and acts on the
// alerts that started or stopped firing.
func (a *alerting) evaluate(ctx context.Context, s *service, now time.Time) error {
	cfg := s.plane.config()
	objs, err := slo.Objectives(cfg)
	if err != nil || len(objs) == 0 {
		return err
	}
	var errs []error
	for _, env := range cfg.Environments {
		d, err := s.plane.DataPlane(ctx, env.Name)
		if err != nil {
			continue // not served (yet)
		}
		if err := a.samples.Record(ctx, s.plane.httpc, d.AdminURL(), s.name, env.Name, now); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", env.Name, err))
		}
	}
	trs, err := a.samples.Evaluate(ctx, s.plane.Store, s.name, objs, now)
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, tr := range trs {
		if _, err := a.respond(ctx, sloAlert(tr, now)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// sloAlert is the alert of a burn-rate transition, labelled like the exported
// rules' alerts.
func sloAlert(tr slo.Transition, now time.Time) alert.Alert {
	labels := map[string]string{alert.LabelName: slo.AlertName, alert.LabelService: tr.Service, alert.LabelEnv: tr.Env,
		alert.LabelVersion: tr.Version, "slo": tr.Objective, "tier": tr.Tier, alert.LabelSeverity: string(tr.Severity)}
	a := alert.Alert{Source: "slipway", Name: slo.AlertName, Status: alert.Firing, Severity: string(tr.Severity),
		Service: tr.Service, Env: tr.Env, Version: tr.Version, StartsAt: tr.Since, Fingerprint: alert.Fingerprint(labels), Labels: labels,
		Summary: fmt.Sprintf("%s %s in %s burns its %s budget %.3gx too fast (%s)", tr.Service, tr.Version, tr.Env, tr.Objective, tr.Rate, tr.Why)}
	if !tr.Firing {
		a.Status, a.EndsAt = alert.Resolved, now
	}
	return a
}

// planeIncidents opens a plane's incidents for alerts.
type planeIncidents struct{ p *Plane }

// Open opens (or joins) the incident of the version a correlates with and drafts
// its post-mortem.
func (pi planeIncidents) Open(ctx context.Context, a alert.Alert, c alert.Correlation) (string, error) {
	severity := a.Severity
	if _, err := incident.ParseSeverity(severity); err != nil {
		severity = "" // a label Slipway has no word for: the environment decides
	}
	inc, err := pi.p.Incidents.OpenFromAlert(ctx, incident.AlertIncident{Service: a.Service, Env: a.Env, Version: c.Version,
		StableVersion: c.Previous, Alert: a.Name, StartsAt: a.StartsAt, Summary: a.Summary, Severity: severity, Labels: a.Labels})
	if err != nil {
		return "", err
	}
	// The draft follows the journal; one that cannot be written yet (no release
	// on record for the version) is written at the next redraft.
	_, _ = pi.p.DraftPostMortem(ctx, inc.ID)
	return inc.ID, nil
}

// Active reports whether incident id is still being worked on.
func (pi planeIncidents) Active(ctx context.Context, id string) bool {
	inc, err := pi.p.Incidents.Get(ctx, id)
	return err == nil && inc.Status.Active()
}
