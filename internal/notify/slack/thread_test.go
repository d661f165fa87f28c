package slack_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/notify"
	"github.com/slipway/slipway/internal/notify/slack"
	"github.com/slipway/slipway/internal/notify/slack/slacktest"
)

// An incident conversation: the channel is created, the summary posted there
// with a pointer in the default channel, replies threaded under the summary and
// the summary edited in place.
func TestConversation(t *testing.T) {
	f := slacktest.New(t, token, "#deploys")
	n := newNotifier(t, f)
	ctx := context.Background()
	summary := notify.Message{Kind: notify.KindIncident, Severity: notify.SeverityCritical, Title: "Canary degradation detected",
		Text: "Incident INC-1: contract-api 1.12.0 rolled back", Incident: "INC-1", Channel: "#incident-contract-api-2026-12-01",
		Fields: []notify.Field{{Name: "Status", Value: "mitigated"}}}
	th, err := n.Start(ctx, summary)
	if err != nil {
		t.Fatalf("Start() = %v", err)
	}
	id, ok := f.ChannelID("#incident-contract-api-2026-12-01")
	if !ok || th.Channel != id || th.ID == "" {
		t.Fatalf("Start() = %+v, want the created channel's id %s and the summary's ts", th, id)
	}
	if err := n.Reply(ctx, th, notify.Message{Title: "Incident INC-1 is investigating", Text: "maria: looking at the route"}); err != nil {
		t.Fatalf("Reply() = %v", err)
	}
	summary.Fields = []notify.Field{{Name: "Status", Value: "investigating"}}
	if err := n.Edit(ctx, th, summary); err != nil {
		t.Fatalf("Edit() = %v", err)
	}
	posts := f.Posts()
	if len(posts) != 3 {
		t.Fatalf("posts = %+v, want summary, pointer, reply", posts)
	}
	if posts[0].ThreadTS != "" || posts[0].TS != th.ID || posts[0].Channel != id {
		t.Errorf("summary post = %+v, want a top-level message in %s", posts[0], id)
	}
	if posts[1].Channel != "#deploys" || !strings.Contains(posts[1].Text, "Follow it in #incident-contract-api-2026-12-01") {
		t.Errorf("pointer post = %+v", posts[1])
	}
	if posts[2].ThreadTS != th.ID || !strings.Contains(posts[2].Text, "maria: looking at the route") {
		t.Errorf("reply = %+v, want threaded under %s", posts[2], th.ID)
	}
	ups := f.Updates()
	if len(ups) != 1 || ups[0].Channel != id || ups[0].TS != th.ID || !strings.Contains(ups[0].Text, "Status: investigating") {
		t.Errorf("chat.update calls = %+v, want one replacing the summary", ups)
	}
}

func TestConversationErrors(t *testing.T) {
	f := slacktest.New(t, token)
	n, err := slack.New(token, slack.WithAPIURL(f.URL()))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Reply(context.Background(), notify.Thread{}, notify.Message{Title: "x"}); err == nil || !strings.Contains(err.Error(), "start the conversation first") {
		t.Errorf("Reply(no thread) = %v", err)
	}
	err = n.Edit(context.Background(), notify.Thread{Channel: "C0404", ID: "1.1"}, notify.Message{Title: "x"})
	var apiErr *slack.APIError
	if err == nil || !strings.Contains(err.Error(), "chat.update") || !errors.As(err, &apiErr) || apiErr.Code != "message_not_found" {
		t.Errorf("Edit(unknown message) = %v, want the chat.update error message_not_found", err)
	}
	if _, err := n.Start(context.Background(), notify.Message{Title: "x"}); err == nil || !strings.Contains(err.Error(), "no channel") {
		t.Errorf("Start(no channel) = %v", err)
	}
}
