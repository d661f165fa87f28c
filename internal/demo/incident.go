package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/controlplane"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/store"
)

// Slack sends the story's incident to a Slack workspace (or a stand-in of its Web
// API): the control plane opens the incident's channel, posts the summary,
// threads the engineer's update and the resolution under it.
type Slack struct {
	// APIURL is the Web API base URL; empty means https://slack.com/api/.
	APIURL string
	// TokenEnv names the environment variable holding the bot token.
	TokenEnv string
	// Channel is where incidents are also pointed to ("#deploys"); may be empty.
	Channel string
}

// notifySection is the notify section the story appends to the service's
// slipway.yaml, or "" when the options ask for no notification.
func (o Options) notifySection() string {
	if o.Webhook == "" && o.Slack == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("\nnotify:\n")
	if o.Webhook != "" {
		fmt.Fprintf(&b, "  webhook: %q\n", o.Webhook)
	}
	if s := o.Slack; s != nil {
		b.WriteString("  slack:\n")
		if s.TokenEnv != "" {
			fmt.Fprintf(&b, "    token-env: %s\n", s.TokenEnv)
		}
		if s.Channel != "" {
			fmt.Fprintf(&b, "    channel: %q\n", s.Channel)
		}
		if s.APIURL != "" {
			fmt.Fprintf(&b, "    api-url: %q\n", s.APIURL)
		}
	}
	return b.String()
}

// investigate is the engineer taking the incident up, as
// `slipway incidents update ID --status investigating -m ...`: the update lands in
// the incident's timeline and its Slack thread.
func (e *env) investigate(ctx context.Context, inc *incident.Incident) error {
	id := inc.ID
	note := "legacy contracts without an expiry date fail the new validation rule; fixing the null case"
	fmt.Fprintf(e.out, "$ slipway incidents update %s --status investigating -m %q\n", id, note)
	name, _, _ := strings.Cut(engineer, " <")
	ctx = store.WithActor(ctx, store.Actor{Name: name, Via: "cli"})
	id64, err := controlplane.Submit(ctx, e.st, controlplane.Request{Op: controlplane.OpIncident, Service: e.cfg.Service, Env: inc.Env,
		Incident: &controlplane.IncidentRequest{Action: controlplane.IncidentUpdate, ID: id, Status: string(incident.Investigating), Message: note}})
	if err != nil {
		return err
	}
	f, err := controlplane.Await(ctx, e.st, id64, e.cfg.Service, time.Minute, nil)
	if err != nil {
		return err
	}
	if !f.OK {
		return fmt.Errorf("update incident %s: %s", id, f.Error)
	}
	fmt.Fprintln(e.out, f.Outcome)
	return nil
}

// reportResolution says how the incident ended once the fix is out: the control
// plane resolved it when the fix reached 100% of production.
func (e *env) reportResolution(ctx context.Context, id string) error {
	inc, err := (&incident.Manager{Store: e.st}).Get(ctx, id)
	if err != nil {
		return err
	}
	line := fmt.Sprintf("incident %s %s", inc.ID, inc.Status)
	if inc.FixVersion != "" {
		line += " by " + inc.FixVersion
	}
	var times []string
	for _, d := range []struct {
		name string
		f    func() (time.Duration, bool)
	}{{"detect", inc.TimeToDetect}, {"mitigate", inc.TimeToMitigate}, {"resolve", inc.TimeToResolve}} {
		if v, ok := d.f(); ok {
			times = append(times, fmt.Sprintf("to %s %s", d.name, incident.Round(v)))
		}
	}
	if len(times) > 0 {
		line += " (time " + strings.Join(times, ", ") + ")"
	}
	fmt.Fprintln(e.out, line)
	return nil
}
