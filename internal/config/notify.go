package config

import (
	"net/url"
	"os"
	"regexp"
	"strings"
)

// SlackNotify keeps a Slack channel per incident: the summary at its top,
// updates threaded under it, a final message when the incident is resolved.
type SlackNotify struct {
	// TokenEnv names the environment variable holding the bot token (xoxb-...),
	// never the token itself. Default SLACK_BOT_TOKEN. The app needs the
	// chat:write and channels:manage scopes.
	TokenEnv string `yaml:"token-env" json:"token-env,omitempty"`
	// Channel is where every incident is also pointed to ("#deploys"); empty
	// posts only in the incident's own channel.
	Channel string `yaml:"channel" json:"channel,omitempty"`
	// APIURL is the Web API base URL. Default https://slack.com/api/ (override for
	// a proxy or an Enterprise Grid gateway).
	APIURL string `yaml:"api-url" json:"api-url,omitempty"`
}

// PagerDutyNotify pages through PagerDuty's Events API v2: an alert per incident
// (triggered when a critical incident opens, resolved with it) and a change event
// for every deploy to the last environment.
type PagerDutyNotify struct {
	// RoutingKeyEnv names the environment variable holding the Events API v2
	// integration key, never the key itself. Default PAGERDUTY_ROUTING_KEY.
	RoutingKeyEnv string `yaml:"routing-key-env" json:"routing-key-env,omitempty"`
	// EventsURL is the Events API base URL. Default https://events.pagerduty.com.
	EventsURL string `yaml:"events-url" json:"events-url,omitempty"`
	// ChangeEvents sends a change event for each deploy to the last environment
	// (production). Default true; set false to send none.
	ChangeEvents *bool `yaml:"change-events" json:"change-events,omitempty"`
}

// Defaults of the notify section.
const (
	DefaultSlackTokenEnv          = "SLACK_BOT_TOKEN"
	DefaultPagerDutyRoutingKeyEnv = "PAGERDUTY_ROUTING_KEY"
)

// Token reads the bot token from the variable TokenEnv names; ok is false when it
// is unset or empty.
func (s SlackNotify) Token() (token, variable string, ok bool) {
	variable = s.TokenEnv
	if variable == "" {
		variable = DefaultSlackTokenEnv
	}
	token = strings.TrimSpace(os.Getenv(variable))
	return token, variable, token != ""
}

// RoutingKey reads the integration key from the variable RoutingKeyEnv names; ok
// is false when it is unset or empty.
func (p PagerDutyNotify) RoutingKey() (key, variable string, ok bool) {
	variable = p.RoutingKeyEnv
	if variable == "" {
		variable = DefaultPagerDutyRoutingKeyEnv
	}
	key = strings.TrimSpace(os.Getenv(variable))
	return key, variable, key != ""
}

// Changes reports whether deploys to production are sent as change events.
func (p PagerDutyNotify) Changes() bool { return p.ChangeEvents == nil || *p.ChangeEvents }

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (n Notify) validate(ps *problems) {
	if n.Webhook != "" {
		if _, err := n.WebhookURL(); err != nil {
			ps.add("notify.webhook", "%v", err)
		}
	}
	if s := n.Slack; s != nil {
		if s.TokenEnv != "" && !envName.MatchString(s.TokenEnv) {
			ps.add("notify.slack.token-env", "not an environment variable name (the value is not shown, it may be a token): name the variable that holds the token, like SLACK_BOT_TOKEN, never the token")
		}
		if s.Channel != "" && !strings.HasPrefix(s.Channel, "#") && !strings.HasPrefix(s.Channel, "C") {
			ps.add("notify.slack.channel", "%q is neither #name nor a channel id", s.Channel)
		}
		checkURL(ps, "notify.slack.api-url", s.APIURL)
	}
	if p := n.PagerDuty; p != nil {
		if p.RoutingKeyEnv != "" && !envName.MatchString(p.RoutingKeyEnv) {
			ps.add("notify.pagerduty.routing-key-env", "not an environment variable name (the value is not shown, it may be a key): name the variable that holds the key, like PAGERDUTY_ROUTING_KEY, never the key")
		}
		checkURL(ps, "notify.pagerduty.events-url", p.EventsURL)
	}
}

func checkURL(ps *problems, field, raw string) {
	if raw == "" {
		return
	}
	if u, err := url.Parse(raw); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		ps.add(field, "%q is not an http(s) URL", raw)
	}
}
