package controlplane

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/slipway/slipway/internal/store"
)

// A Request is something a person asks the running control plane to do: the CLI
// journals it (request.submitted), the control plane accepts it
// (request.accepted), carries it out, and journals how it ended
// (request.finished). The control plane stays the only writer of deployments.
type Request struct {
	// Op is promote, undo or run.
	Op      string `json:"op"`
	Service string `json:"service"`
	Version string `json:"version,omitempty"`
	Env     string `json:"env,omitempty"`
	// Ref is the branch or commit of a run request.
	Ref string `json:"ref,omitempty"`
	// Force and Reason clear a quarantine or replace a dead stable (promote).
	Force  bool   `json:"force,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Incident is the change an incident request asks for (see incidents.go).
	Incident *IncidentRequest `json:"incident,omitempty"`
}

// Request operations.
const (
	OpPromote = "promote"
	OpUndo    = "undo"
	OpRun     = "run"
	// OpIncident updates, resolves or closes an incident.
	OpIncident = "incident"
)

// Finished is how a request ended.
type Finished struct {
	Request int64  `json:"request"`
	OK      bool   `json:"ok"`
	Outcome string `json:"outcome,omitempty"`
	Error   string `json:"error,omitempty"`
	// Run is the pipeline run a run request started.
	Run string `json:"run,omitempty"`
}

// requestTTL is how old a request may be when the control plane picks it up; older
// ones were given up by whoever asked.
const requestTTL = time.Minute

// Submit journals r for the control plane serving st and returns its id. The actor
// comes from ctx (store.WithActor).
func Submit(ctx context.Context, st *store.Store, r Request) (int64, error) {
	msg := fmt.Sprintf("%s requested for %s", r.Op, r.Service)
	switch r.Op {
	case OpPromote:
		msg = fmt.Sprintf("promote %s %s to %s requested", r.Service, r.Version, r.Env)
	case OpUndo:
		msg = fmt.Sprintf("undo %s in %s requested", r.Service, r.Env)
	case OpRun:
		msg = fmt.Sprintf("pipeline run of %s %s requested", r.Service, r.Ref)
	case OpIncident:
		if r.Incident != nil {
			msg = fmt.Sprintf("%s of incident %s requested", r.Incident.Action, r.Incident.ID)
		}
	}
	if r.Reason != "" {
		msg += ": " + r.Reason
	}
	e, err := st.Append(ctx, store.Event{Kind: "request.submitted", Service: r.Service, Env: r.Env, Version: r.Version,
		Message: msg, Data: map[string]any{"request": r}})
	if err != nil {
		return 0, fmt.Errorf("submit %s: %w", r.Op, err)
	}
	return e.ID, nil
}

// Await follows request id until it finishes, handing every event of its service
// journaled meanwhile to follow (progress for a person). It fails when the control
// plane does not accept the request within acceptWithin.
func Await(ctx context.Context, st *store.Store, id int64, service string, acceptWithin time.Duration, follow func(store.Event)) (Finished, error) {
	after, accepted := id, false
	deadline := time.Now().Add(acceptWithin)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		evs, err := st.Events(ctx, store.Filter{Service: service, AfterID: after})
		if err != nil {
			return Finished{}, err
		}
		for _, e := range evs {
			after = e.ID
			if !isFor(e, id) {
				if accepted && follow != nil && e.Kind != "request.submitted" {
					follow(e)
				}
				continue
			}
			switch e.Kind {
			case "request.accepted":
				accepted = true
			case "request.finished":
				var f Finished
				b, _ := json.Marshal(e.Data)
				_ = json.Unmarshal(b, &f)
				return f, nil
			}
		}
		if !accepted && time.Now().After(deadline) {
			return Finished{}, fmt.Errorf("the control plane did not take request %d within %s: is it running? (slipway status; slipway up starts it)", id, acceptWithin)
		}
		select {
		case <-ctx.Done():
			return Finished{}, fmt.Errorf("stopped waiting for request %d (it goes on in the control plane; slipway status shows it): %w", id, ctx.Err())
		case <-tick.C:
		}
	}
}

func isFor(e store.Event, id int64) bool {
	if e.Kind != "request.accepted" && e.Kind != "request.finished" {
		return false
	}
	v, ok := e.Data["request"].(float64)
	return ok && int64(v) == id
}

// serveRequests carries out the requests people journal, each in its own
// goroutine; work on one environment is serialised by the environment's lock.
func serveRequests(ctx context.Context, log *slog.Logger, services []*service) {
	if len(services) == 0 {
		return
	}
	st := services[0].plane.Store
	// Requests journaled before this control plane started are not ours to answer
	// unless they are fresh (asked while it was starting).
	var after int64
	if evs, err := st.Events(ctx, store.Filter{Limit: 1}); err == nil && len(evs) > 0 {
		after = evs[0].ID
	}
	if evs, err := st.Events(ctx, store.Filter{Kinds: []string{"request.submitted"}, Since: time.Now().Add(-requestTTL)}); err == nil && len(evs) > 0 {
		after = min(after, evs[0].ID-1)
	}
	byName := map[string]*service{}
	for _, s := range services {
		byName[s.name] = s
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	// Requests in flight finish (a cancelled rollout stays resumable) before the
	// store closes.
	var inflight sync.WaitGroup
	defer inflight.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		evs, err := st.Events(ctx, store.Filter{Kinds: []string{"request.submitted"}, AfterID: after})
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("read requests", "err", err)
			}
			continue
		}
		for _, e := range evs {
			after = e.ID
			var r Request
			b, _ := json.Marshal(e.Data["request"])
			if err := json.Unmarshal(b, &r); err != nil || r.Op == "" {
				continue
			}
			if handled(ctx, st, e.ID) {
				continue
			}
			actx := store.WithActor(ctx, store.Actor{Name: e.Actor, Via: e.Via})
			s, ok := byName[r.Service]
			if !ok {
				finish(actx, st, e, r, Finished{Error: fmt.Sprintf("this control plane does not serve %q", r.Service)})
				continue
			}
			if time.Since(e.Time) > requestTTL {
				finish(actx, st, e, r, Finished{Error: "expired: asked more than a minute before the control plane saw it"})
				continue
			}
			accept(actx, st, e, r)
			inflight.Go(func() {
				f := s.handle(actx, e.ID, r)
				f.Request = e.ID
				finish(context.WithoutCancel(actx), st, e, r, f)
			})
		}
	}
}

// handled reports whether request id was already accepted (by a previous control
// plane, before a restart).
func handled(ctx context.Context, st *store.Store, id int64) bool {
	evs, err := st.Events(ctx, store.Filter{Kinds: []string{"request.accepted", "request.finished"}, AfterID: id})
	if err != nil {
		return false
	}
	for _, e := range evs {
		if isFor(e, id) {
			return true
		}
	}
	return false
}

func accept(ctx context.Context, st *store.Store, e store.Event, r Request) {
	_, _ = st.Append(ctx, store.Event{Kind: "request.accepted", Service: r.Service, Env: r.Env, Version: r.Version,
		Message: "accepted: " + e.Message, Data: map[string]any{"request": e.ID}})
}

func finish(ctx context.Context, st *store.Store, e store.Event, r Request, f Finished) {
	f.Request = e.ID
	f.OK = f.Error == ""
	msg := fmt.Sprintf("%s: %s", e.Message, f.Outcome)
	if !f.OK {
		msg = fmt.Sprintf("%s: failed: %s", e.Message, f.Error)
	}
	_, _ = st.Append(ctx, store.Event{Kind: "request.finished", Service: r.Service, Env: r.Env, Version: r.Version, Run: f.Run,
		Message: msg, Data: map[string]any{"request": f.Request, "ok": f.OK, "outcome": f.Outcome, "error": f.Error, "run": f.Run}})
}

// ErrNotServed means no control plane runs for the state directory.
var ErrNotServed = errors.New("no control plane runs for this state directory")
