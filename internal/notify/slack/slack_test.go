package slack_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/slipway/slipway/internal/notify"
	"github.com/slipway/slipway/internal/notify/notifytest"
	"github.com/slipway/slipway/internal/notify/slack"
	"github.com/slipway/slipway/internal/notify/slack/slacktest"
)

const token = "xoxb-1111-2222-secretpart"

func newNotifier(t *testing.T, f *slacktest.Server, opts ...slack.Option) *slack.Notifier {
	t.Helper()
	n, err := slack.New(token, append([]slack.Option{slack.WithAPIURL(f.URL()), slack.WithChannel("#deploys")}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConformance(t *testing.T) {
	notifytest.Run(t, func(t *testing.T) (notify.Notifier, notifytest.Received) {
		f := slacktest.New(t, token, "#deploys", notifytest.Full().Channel)
		return newNotifier(t, f), f.Received
	})
}

func TestPostShape(t *testing.T) {
	f := slacktest.New(t, token, "#deploys")
	n := newNotifier(t, f)
	m := notify.Message{
		Kind: notify.KindRollback, Severity: notify.SeverityCritical, Title: "Canary degradation detected",
		Text: "error rate <5%> & rising", Service: "contract-api", Version: "1.12.0",
		Fields: []notify.Field{{Name: "Action", Value: "rollback initiated"}},
	}
	if err := n.Notify(t.Context(), m); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	posts := f.Posts()
	if len(posts) != 1 {
		t.Fatalf("Slack got %d posts, want 1", len(posts))
	}
	want := slacktest.Post{
		Channel: "#deploys",
		TS:      "1764151680.000001",
		Text:    "[ALERT] Canary degradation detected | Service: contract-api | Version: 1.12.0 | Action: rollback initiated\nerror rate &lt;5%&gt; &amp; rising",
		Blocks: []map[string]any{
			{"type": "header", "text": map[string]any{"type": "plain_text", "text": "Canary degradation detected", "emoji": true}},
			{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": "error rate &lt;5%&gt; &amp; rising"}},
			{"type": "section", "fields": []any{
				map[string]any{"type": "mrkdwn", "text": "*Service*\ncontract-api"},
				map[string]any{"type": "mrkdwn", "text": "*Version*\n1.12.0"},
				map[string]any{"type": "mrkdwn", "text": "*Action*\nrollback initiated"},
			}},
			{"type": "context", "elements": []any{map[string]any{"type": "mrkdwn", "text": "Slipway · critical · rollback"}}},
		},
	}
	if diff := cmp.Diff(want, posts[0]); diff != "" {
		t.Errorf("chat.postMessage (-want +got):\n%s", diff)
	}
}

func TestIncidentCreatesChannel(t *testing.T) {
	tests := []struct {
		name        string
		existing    []string
		wantChannel string // where the incident message lands
	}{
		{name: "new channel", existing: []string{"#deploys"}, wantChannel: "C0002"},
		{name: "name taken", existing: []string{"#deploys", "#incident-contract-api-2026-11-26"}, wantChannel: "#incident-contract-api-2026-11-26"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := slacktest.New(t, token, tt.existing...)
			n := newNotifier(t, f)
			m := notifytest.Full()
			m.Kind = notify.KindIncident
			if err := n.Notify(t.Context(), m); err != nil {
				t.Fatalf("Notify(incident) = %v", err)
			}
			if diff := cmp.Diff([]string{"incident-contract-api-2026-11-26"}, f.Creates()); diff != "" {
				t.Errorf("conversations.create names (-want +got):\n%s", diff)
			}
			var got []string
			for _, p := range f.Posts() {
				got = append(got, p.Channel)
			}
			if diff := cmp.Diff([]string{tt.wantChannel, "#deploys"}, got); diff != "" {
				t.Errorf("posted to (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAPIErrors(t *testing.T) {
	tests := []struct {
		name     string
		m        notify.Message
		wantCode string
		want     string
	}{
		{name: "unknown channel", m: notify.Message{Title: "x", Channel: "#nowhere"}, wantCode: "channel_not_found",
			want: "slack chat.postMessage in #nowhere: channel_not_found: check the channel name"},
		{name: "invalid incident channel name", m: notify.Message{Title: "x", Kind: notify.KindIncident, Channel: "#Bad Name"}, wantCode: "invalid_name",
			want: "slack conversations.create in #Bad Name: invalid_name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := slacktest.New(t, token, "#deploys")
			err := newNotifier(t, f).Notify(t.Context(), tt.m)
			var apiErr *slack.APIError
			if !errors.As(err, &apiErr) || apiErr.Code != tt.wantCode {
				t.Fatalf("Notify() = %v, want an APIError %s", err, tt.wantCode)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secretpart") {
				t.Errorf("error %q leaks the token", err)
			}
		})
	}
}

func TestNoChannel(t *testing.T) {
	f := slacktest.New(t, token)
	n, err := slack.New(token, slack.WithAPIURL(f.URL()))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(t.Context(), notify.Message{Title: "x"}); err == nil || !strings.Contains(err.Error(), "no channel") {
		t.Errorf("Notify() without any channel = %v, want a no channel error", err)
	}
}

func TestRateLimitRetried(t *testing.T) {
	f := slacktest.New(t, token, "#deploys")
	f.RateLimit(1)
	if err := newNotifier(t, f).Notify(t.Context(), notify.Message{Title: "x"}); err != nil {
		t.Fatalf("Notify() after a 429 answer = %v, want nil", err)
	}
	if n := len(f.Posts()); n != 1 {
		t.Errorf("Slack got %d posts, want 1", n)
	}
}

func TestServerDown(t *testing.T) {
	f := slacktest.New(t, token, "#deploys")
	n := newNotifier(t, f, slack.WithHTTPClient(&http.Client{}))
	f.Close()
	err := n.Notify(context.Background(), notify.Message{Title: "x"})
	if err == nil || !strings.Contains(err.Error(), "slack chat.postMessage in #deploys") {
		t.Fatalf("Notify() to a closed server = %v, want an error naming the call", err)
	}
	if strings.Contains(err.Error(), "secretpart") {
		t.Errorf("error %q leaks the token", err)
	}
}

func TestNewRejects(t *testing.T) {
	tests := []struct {
		token string
		opts  []slack.Option
		want  string
	}{
		{token: "", want: "token is empty"},
		{token: "hunter2", want: "does not look like a Slack token"},
		{token: token, opts: []slack.Option{slack.WithAPIURL("ftp://x")}, want: "API URL"},
	}
	for _, tt := range tests {
		_, err := slack.New(tt.token, tt.opts...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%q) = %v, want error containing %q", tt.token, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("New error %q echoes the token", err)
		}
	}
}
