package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNotifySlackPagerDuty(t *testing.T) {
	cfg, err := Parse("slipway.yaml", []byte(minimal+`notify:
  slack: {token-env: TEAM_SLACK_TOKEN, channel: "#deploys", api-url: "http://127.0.0.1:9/api/"}
  pagerduty: {change-events: false}
`))
	if err != nil {
		t.Fatalf("Parse() = %v", err)
	}
	t.Setenv("TEAM_SLACK_TOKEN", " xoxb-1 ")
	if tok, v, ok := cfg.Notify.Slack.Token(); !ok || tok != "xoxb-1" || v != "TEAM_SLACK_TOKEN" {
		t.Errorf("Slack.Token() = %q, %q, %v", tok, v, ok)
	}
	t.Setenv(DefaultPagerDutyRoutingKeyEnv, "")
	if _, v, ok := cfg.Notify.PagerDuty.RoutingKey(); ok || v != DefaultPagerDutyRoutingKeyEnv {
		t.Errorf("PagerDuty.RoutingKey() with the variable empty = %q, %v; want not ok, naming %s", v, ok, DefaultPagerDutyRoutingKeyEnv)
	}
	if cfg.Notify.PagerDuty.Changes() {
		t.Error("change-events: false still sends change events")
	}

	got := problemsOf(t, minimal+`notify:
  slack: {token-env: "xoxb-123-secret", channel: deploys, api-url: "slack.com/api"}
  pagerduty: {routing-key-env: "R0123 key", events-url: "ftp://events"}
`)
	want := []string{
		`slipway.yaml:8:22: notify.slack.token-env: not an environment variable name (the value is not shown, it may be a token): name the variable that holds the token, like SLACK_BOT_TOKEN, never the token`,
		`slipway.yaml:8:50: notify.slack.channel: "deploys" is neither #name nor a channel id`,
		`slipway.yaml:8:68: notify.slack.api-url: "slack.com/api" is not an http(s) URL`,
		`slipway.yaml:9:32: notify.pagerduty.routing-key-env: not an environment variable name (the value is not shown, it may be a key): name the variable that holds the key, like PAGERDUTY_ROUTING_KEY, never the key`,
		`slipway.yaml:9:57: notify.pagerduty.events-url: "ftp://events" is not an http(s) URL`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}
