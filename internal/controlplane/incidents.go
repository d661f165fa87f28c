package controlplane

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/notify"
	"github.com/slipway/slipway/internal/notify/pagerduty"
	"github.com/slipway/slipway/internal/notify/slack"
	"github.com/slipway/slipway/internal/store"
)

var (
	_ incident.Conversation = (*slack.Notifier)(nil)
	_ incident.Pager        = (*pagerduty.Client)(nil)
)

// changer records deploys beside alerts (PagerDuty change events).
type changer interface {
	Change(ctx context.Context, c notify.Change) error
}

// ConfigureIncidents gives m the chat conversation and the pager cfg's notify
// section names (see incidentChannels); a malformed setting is an error and
// changes nothing. Called again with a later configuration, it rewires m between
// two of its writes.
func ConfigureIncidents(m *incident.Manager, cfg *config.Config, out io.Writer) error {
	chat, pager, err := incidentChannels(cfg, out)
	if err != nil {
		return err
	}
	m.SetChannels(chat, pager)
	return nil
}

// incidentChannels builds the chat conversation and the pager cfg's notify
// section names (notify.slack, notify.pagerduty), with their secrets read from
// the environment variables it names. A secret missing from the environment turns
// that channel off with a line on out (when not nil), so reading commands work in
// any shell. Either is nil when not configured.
func incidentChannels(cfg *config.Config, out io.Writer) (incident.Conversation, incident.Pager, error) {
	warn := func(format string, args ...any) {
		if out != nil {
			fmt.Fprintf(out, format+"\n", args...)
		}
	}
	var chat incident.Conversation
	var pager incident.Pager
	if s := cfg.Notify.Slack; s != nil {
		token, variable, ok := s.Token()
		if ok {
			opts := []slack.Option{slack.WithChannel(s.Channel)}
			if s.APIURL != "" {
				opts = append(opts, slack.WithAPIURL(s.APIURL))
			}
			n, err := slack.New(token, opts...)
			if err != nil {
				return nil, nil, fmt.Errorf("notify.slack of %s: %w (the token comes from %s)", cfg.Service, err, variable)
			}
			chat = n
		} else {
			warn("notify.slack of %s: %s is not set: incidents are not posted to Slack (export the bot token in the environment of slipway up)", cfg.Service, variable)
		}
	}
	if p := cfg.Notify.PagerDuty; p != nil {
		key, variable, ok := p.RoutingKey()
		if ok {
			var opts []pagerduty.Option
			if p.EventsURL != "" {
				opts = append(opts, pagerduty.WithURL(p.EventsURL))
			}
			c, err := pagerduty.New(key, opts...)
			if err != nil {
				return nil, nil, fmt.Errorf("notify.pagerduty of %s: %w (the key comes from %s)", cfg.Service, err, variable)
			}
			pager = c
		} else {
			warn("notify.pagerduty of %s: %s is not set: nobody is paged for incidents (export the integration key in the environment of slipway up)", cfg.Service, variable)
		}
	}
	return chat, pager, nil
}

// announcementOnly reports whether err, returned with the recorded incident inc,
// only says that telling people failed (Slack or PagerDuty down): the incident
// stands, so the rollback's bookkeeping must go on. The failure is journaled
// (incident.announce.failed) for people to see.
func (p *Plane) announcementOnly(ctx context.Context, inc incident.Incident, err error) bool {
	if inc.ID == "" {
		return false
	}
	_, _ = p.Store.Append(ctx, store.Event{Kind: "incident.announce.failed", Service: inc.Service, Env: inc.Env, Version: inc.AffectedVersion,
		Incident: inc.ID, Message: fmt.Sprintf("incident %s is recorded but telling people failed: %v", inc.ID, err)})
	return true
}

// resolveFixed resolves the incidents a release fixed once it serves 100% of env,
// and drafts their post-mortems again with the fix in them.
func (p *Plane) resolveFixed(ctx context.Context, env, version string) {
	resolved, err := p.Incidents.ResolveFixed(ctx, p.config().Service, env, version)
	for _, inc := range resolved {
		if _, derr := p.DraftPostMortem(ctx, inc.ID); derr != nil {
			err = fmt.Errorf("%v; redraft post-mortem of %s: %w", err, inc.ID, derr)
		}
	}
	if err != nil {
		_, _ = p.Store.Append(ctx, store.Event{Kind: "incident.announce.failed", Service: p.config().Service, Env: env, Version: version,
			Message: fmt.Sprintf("resolving the incidents %s fixed in %s: %v", version, env, err)})
	}
}

// settle is how old a finished deploy is before followDeploys acts on it.
const settle = 2 * time.Second

// followDeploys watches the journal for deploys that finished serving 100% of
// an environment, however they were started (a promotion, the delivery of a
// push, a resume): it resolves the incidents the new version fixed and sends a
// change event to PagerDuty for deploys to the last environment.
func (s *service) followDeploys(ctx context.Context) {
	var warnings strings.Builder
	if _, _, err := incidentChannels(s.plane.config(), &warnings); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(warnings.String()), "\n") {
			if line != "" {
				s.log.Warn(line)
			}
		}
	}
	st := s.plane.Store
	var after int64
	if evs, err := st.Events(ctx, store.Filter{Limit: 1}); err == nil && len(evs) > 0 {
		after = evs[0].ID
	}
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		evs, err := st.Events(ctx, store.Filter{Service: s.name, Kinds: []string{"deploy.finished"}, AfterID: after})
		if err != nil {
			continue
		}
		for _, e := range evs {
			// A promotion asked for resolves and redrafts as it finishes; leave it
			// that moment, so the two never draft the same post-mortem at once.
			if time.Since(e.Time) < settle {
				break
			}
			after = e.ID
			outcome, _ := e.Data["outcome"].(string)
			if outcome != "promoted" && outcome != "deployed" {
				continue
			}
			s.plane.resolveFixed(ctx, e.Env, e.Version)
			s.changeEvent(ctx, e)
		}
	}
}

// changeEvent tells PagerDuty that e, a finished deploy, changed the last
// environment.
func (s *service) changeEvent(ctx context.Context, e store.Event) {
	cfg := s.plane.config()
	if cfg.Notify.PagerDuty == nil || !cfg.Notify.PagerDuty.Changes() || len(cfg.Environments) == 0 ||
		cfg.Environments[len(cfg.Environments)-1].Name != e.Env {
		return
	}
	c, ok := s.plane.Incidents.Pager.(changer)
	if !ok {
		return
	}
	details := map[string]string{"service": e.Service, "env": e.Env, "version": e.Version, "digest": e.Digest}
	if prev, _ := e.Data["previous"].(string); prev != "" {
		details["previous_version"] = prev
	}
	summary := fmt.Sprintf("%s %s serves 100%% of %s", e.Service, e.Version, e.Env)
	if err := c.Change(ctx, notify.Change{Summary: summary, Source: e.Service + "/" + e.Env, Time: e.Time, Details: details}); err != nil {
		s.log.Warn("pagerduty change event", slog.String("env", e.Env), slog.String("version", e.Version), slog.Any("err", err))
	}
}

// incidentOp carries out an incident request: an update, a resolution or a close
// asked from the command line while this control plane runs.
func (s *service) incidentOp(ctx context.Context, r Request) Finished {
	ir := r.Incident
	if ir == nil || strings.TrimSpace(ir.ID) == "" {
		return Finished{Error: "incident request without an incident id"}
	}
	inc, err := ApplyIncident(ctx, s.plane.Incidents, *ir)
	if inc.ID == "" && err != nil {
		return Finished{Error: err.Error()}
	}
	out := fmt.Sprintf("%s is %s", inc.ID, inc.Status)
	if err != nil {
		out += " (telling people failed: " + err.Error() + ")"
	}
	return Finished{Outcome: out}
}

// IncidentRequest is a person's change to an incident.
type IncidentRequest struct {
	// Action is update, resolve or close.
	Action    string `json:"action"`
	ID        string `json:"id"`
	Status    string `json:"status,omitempty"`
	Severity  string `json:"severity,omitempty"`
	Commander string `json:"commander,omitempty"`
	Message   string `json:"message,omitempty"`
	// FixVersion is the version that fixed it (resolve).
	FixVersion string `json:"fix_version,omitempty"`
}

// Incident actions.
const (
	IncidentUpdate  = "update"
	IncidentResolve = "resolve"
	IncidentClose   = "close"
)

// ApplyIncident carries out ir with m, whoever runs it: the control plane for a
// request, or the command line when no control plane runs. When the change is
// recorded but telling people failed, the incident is returned with the error.
func ApplyIncident(ctx context.Context, m *incident.Manager, ir IncidentRequest) (incident.Incident, error) {
	switch ir.Action {
	case IncidentUpdate:
		var status incident.Status
		if ir.Status != "" {
			st, err := incident.ParseStatus(ir.Status)
			if err != nil {
				return incident.Incident{}, err
			}
			status = st
		}
		return m.Update(ctx, ir.ID, incident.Change{Status: status, Severity: ir.Severity, Commander: ir.Commander, Text: ir.Message})
	case IncidentResolve:
		return m.Resolve(ctx, ir.ID, incident.Resolution{FixVersion: ir.FixVersion, Note: ir.Message})
	case IncidentClose:
		return m.Close(ctx, ir.ID, ir.Message)
	}
	return incident.Incident{}, fmt.Errorf("unknown incident action %q: use update, resolve or close", ir.Action)
}
