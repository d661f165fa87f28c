package alert

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/store"
)

// Actions a Responder takes.
const (
	// ActionAborted: a rollout in progress was aborted; its stable version serves.
	ActionAborted = "aborted"
	// ActionIncident: an incident was opened (or the open one for the version
	// was given the alert).
	ActionIncident = "incident"
	// ActionResolved: the alert resolved; it is journaled.
	ActionResolved = "resolved"
	// ActionUnmapped: the alert names no service and environment Slipway runs; it
	// is journaled and nothing else.
	ActionUnmapped = "unmapped"
)

// Outcome is what an alert led to.
type Outcome struct {
	Alert    string `json:"alert"`
	Action   string `json:"action"`
	Service  string `json:"service,omitempty"`
	Env      string `json:"env,omitempty"`
	Version  string `json:"version,omitempty"`
	Rollout  string `json:"rollout,omitempty"`
	Incident string `json:"incident,omitempty"`
	// Why says how the alert was mapped.
	Why string `json:"why"`
	// Duplicate is set when the alert had been acted on before.
	Duplicate bool `json:"duplicate,omitempty"`
}

// Correlation is the version an alert is attributed to: the one whose arrival in
// the environment came last before the alert started.
type Correlation struct {
	Version string `json:"version"`
	// Since is when that version started serving in the environment.
	Since time.Time `json:"since,omitzero"`
	// Previous is the version that served before it, if known.
	Previous string `json:"previous,omitempty"`
	// Rollout is the rollout that brought it in, if any.
	Rollout string `json:"rollout,omitempty"`
	// How says which journal event decided.
	How string `json:"how"`
}

// Journal is the part of the store a Responder reads and writes.
type Journal interface {
	Events(ctx context.Context, f store.Filter) ([]store.Event, error)
	Append(ctx context.Context, e store.Event) (store.Event, error)
	Marks
}

// Rollouts loads rollouts and queues commands to them, as slipway rollout abort
// does (rollout.Controller fits).
type Rollouts interface {
	Load(ctx context.Context, id string) (*rollout.Rollout, error)
	Request(ctx context.Context, id string, a rollout.Action, reason string) error
}

// Incidents opens incidents for alerts.
type Incidents interface {
	// Open opens an incident for a and the version it correlates with and
	// returns its id.
	Open(ctx context.Context, a Alert, c Correlation) (string, error)
	// Active reports whether incident id is still being worked on.
	Active(ctx context.Context, id string) bool
}

// Responder maps one service's alerts to its deployments and acts.
type Responder struct {
	Service string
	Journal Journal
	// Current returns what runs in env (deploy.Deployer.Current).
	Current   func(ctx context.Context, env string) (deploy.Deployment, error)
	Rollouts  Rollouts
	Incidents Incidents
}

const markIncident = "alert.incident" // service/env/version -> incident id

// Respond maps a to what was deployed when it started and acts on it:
//  1. a resolved alert is journaled;
//  2. an urgent alert that started during a rollout in its environment and names
//     the candidate (or no version) aborts the rollout, through the same queued
//     command as slipway rollout abort;
//  3. otherwise an incident is opened naming the alert's version, or the version
//     deployed most recently before the alert started; an incident still open
//     for that version gets the alert instead of a second one.
func (r *Responder) Respond(ctx context.Context, a Alert) (Outcome, error) {
	out := Outcome{Alert: a.Name, Service: a.Service, Env: a.Env, Version: a.Version}
	ctx = store.WithActor(ctx, store.Actor{Name: orDefault(a.Source, "alert"), Via: "api"})
	switch {
	case a.Service != r.Service || a.Env == "":
		out.Action, out.Why = ActionUnmapped, fmt.Sprintf("the alert's labels name service %q and env %q: Slipway maps alerts labelled with a service it runs and an environment", a.Service, a.Env)
		return out, r.journal(ctx, a, out, "alert.unmapped")
	case a.Status == Resolved:
		out.Action, out.Why = ActionResolved, "resolved at "+a.EndsAt.UTC().Format(time.RFC3339)
		return out, r.journal(ctx, a, out, "alert.resolved")
	}
	if o, ok, err := r.abort(ctx, a); err != nil || ok {
		if err != nil {
			return o, err
		}
		return o, r.journal(ctx, a, o, "alert.firing")
	}
	c, err := r.Correlate(ctx, a.Env, a.StartsAt)
	if err != nil {
		return out, err
	}
	if a.Version != "" && a.Version != c.Version {
		c = Correlation{Version: a.Version, How: fmt.Sprintf("the alert names version %s (%s was the latest change before it started)", a.Version, orDefault(c.Version, "nothing"))}
	}
	if c.Version == "" {
		out.Action, out.Why = ActionUnmapped, fmt.Sprintf("nothing was deployed to %s before %s", a.Env, a.StartsAt.UTC().Format(time.RFC3339))
		return out, r.journal(ctx, a, out, "alert.unmapped")
	}
	out.Version, out.Rollout = c.Version, c.Rollout
	id := r.Service + "/" + a.Env + "/" + c.Version
	var open struct{ Incident string }
	if err := r.Journal.Get(ctx, markIncident, id, &open); err == nil && open.Incident != "" && r.Incidents.Active(ctx, open.Incident) {
		out.Action, out.Incident = ActionIncident, open.Incident
		out.Why = fmt.Sprintf("%s; incident %s is already open for it", c.How, open.Incident)
		return out, r.journal(ctx, a, out, "alert.firing")
	}
	inc, err := r.Incidents.Open(ctx, a, c)
	if err != nil {
		return out, fmt.Errorf("open incident for %s %s in %s: %w", r.Service, c.Version, a.Env, err)
	}
	if err := r.Journal.Put(ctx, markIncident, id, struct{ Incident string }{inc}); err != nil {
		return out, err
	}
	out.Action, out.Incident, out.Why = ActionIncident, inc, c.How
	return out, r.journal(ctx, a, out, "alert.firing")
}

// abort aborts the rollout a started under, when a is urgent and blames it.
func (r *Responder) abort(ctx context.Context, a Alert) (Outcome, bool, error) {
	out := Outcome{Alert: a.Name, Service: a.Service, Env: a.Env, Version: a.Version}
	if !a.Urgent() {
		return out, false, nil
	}
	cur, err := r.Current(ctx, a.Env)
	if errors.Is(err, store.ErrNotFound) || (err == nil && cur.Pending == nil) {
		return out, false, nil
	}
	if err != nil {
		return out, false, fmt.Errorf("what runs in %s: %w", a.Env, err)
	}
	p := cur.Pending
	if a.Version != "" && a.Version != p.Version {
		return out, false, nil // it names another version: not the candidate's doing
	}
	ro, err := r.Rollouts.Load(ctx, p.Rollout)
	if err != nil {
		return out, false, fmt.Errorf("rollout %s of %s in %s: %w", p.Rollout, p.Version, a.Env, err)
	}
	if ro.Phase.Terminal() || a.StartsAt.Before(ro.StartedAt) {
		return out, false, nil // over, or the problem predates it
	}
	reason := fmt.Sprintf("alert %s started %s: %s", a.Name, a.StartsAt.UTC().Format(time.RFC3339), orDefault(a.Summary, "no summary"))
	if err := r.Rollouts.Request(ctx, ro.ID, rollout.Abort, reason); err != nil && !errors.Is(err, rollout.ErrTerminal) {
		return out, false, fmt.Errorf("abort rollout %s: %w", ro.ID, err)
	}
	out.Action, out.Version, out.Rollout = ActionAborted, p.Version, ro.ID
	out.Why = fmt.Sprintf("the alert started during rollout %s of %s (%s -> %s, at %d%%): aborted; %s serves 100%%",
		ro.ID, p.Version, ro.Stable.Version, p.Version, ro.Weight, ro.Stable.Version)
	return out, true, nil
}

// Correlate returns the version that arrived last in env before at, from the
// journal: a rollout starting (its candidate), a deployment finishing (the version
// deployed or promoted, or the stable one after a rollback or an abort).
func (r *Responder) Correlate(ctx context.Context, env string, at time.Time) (Correlation, error) {
	evs, err := r.Journal.Events(ctx, store.Filter{Service: r.Service, Env: env,
		Kinds: []string{"rollout.started", "deploy.finished"}, Until: at.Add(time.Nanosecond), Limit: 50})
	if err != nil {
		return Correlation{}, fmt.Errorf("correlate alert in %s: %w", env, err)
	}
	for i := len(evs) - 1; i >= 0; i-- {
		e := evs[i]
		str := func(k string) string { s, _ := e.Data[k].(string); return s }
		switch {
		case e.Kind == "rollout.started":
			return Correlation{Version: e.Version, Since: e.Time, Previous: str("from_version"), Rollout: e.Rollout,
				How: fmt.Sprintf("rollout %s of %s began %s before the alert", e.Rollout, e.Version, at.Sub(e.Time).Round(time.Second))}, nil
		case str("outcome") == string(deploy.Deployed) || str("outcome") == string(deploy.Promoted):
			return Correlation{Version: e.Version, Since: e.Time, Previous: str("previous"), Rollout: str("rollout"),
				How: fmt.Sprintf("%s was %s in %s %s before the alert", e.Version, str("outcome"), env, at.Sub(e.Time).Round(time.Second))}, nil
		case str("previous") != "":
			return Correlation{Version: str("previous"), Since: e.Time, Rollout: str("rollout"),
				How: fmt.Sprintf("%s serves again since %s was %s %s before the alert", str("previous"), e.Version, str("outcome"), at.Sub(e.Time).Round(time.Second))}, nil
		}
	}
	return Correlation{}, nil
}

func (r *Responder) journal(ctx context.Context, a Alert, o Outcome, kind string) error {
	msg := fmt.Sprintf("alert %s %s", a.Name, a.Status)
	switch o.Action {
	case ActionAborted:
		msg = fmt.Sprintf("alert %s: rollout %s of %s aborted", a.Name, o.Rollout, o.Version)
	case ActionIncident:
		msg = fmt.Sprintf("alert %s: incident %s for %s", a.Name, o.Incident, o.Version)
	}
	msg += " (" + o.Why + ")"
	_, err := r.Journal.Append(ctx, store.Event{Kind: kind, Time: time.Now(), Service: a.Service, Env: a.Env, Version: o.Version,
		Rollout: o.Rollout, Incident: o.Incident, Message: msg,
		Data: map[string]any{"alert": a, "action": o.Action, "why": o.Why}})
	return err
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
