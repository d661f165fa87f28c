package demo

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/notify/slack/slacktest"
)

// storyToken is the bot token the story's Slack stand-in accepts, in the
// variable the story's slipway.yaml names.
const (
	storyTokenEnv = "SLIPWAY_STORY_SLACK_TOKEN"
	storyToken    = "xoxb-story-0000-secret"
)

var (
	slackOnce  sync.Once
	slackMu    sync.Mutex
	slackFakes = map[string]*slacktest.Server{} // by state directory
)

// storySlack starts a stand-in for Slack's Web API for the story kept in data and
// returns the options that point the story's notify.slack at it.
func storySlack(t *testing.T, data string) *Slack {
	t.Helper()
	slackOnce.Do(func() { os.Setenv(storyTokenEnv, storyToken) })
	f := slacktest.New(t, storyToken, "#deploys")
	slackMu.Lock()
	slackFakes[data] = f
	slackMu.Unlock()
	return &Slack{APIURL: f.URL(), TokenEnv: storyTokenEnv, Channel: "#deploys"}
}

// checkSlack follows the story's incident in Slack: its channel created, the
// summary posted at the top with the version, the rollback and the metrics, the
// engineer's update and the resolution threaded under it, and the summary edited
// to say the fix resolved it.
func checkSlack(t *testing.T, data, id string) {
	t.Helper()
	slackMu.Lock()
	f := slackFakes[data]
	slackMu.Unlock()
	if f == nil {
		t.Fatal("the story ran without its Slack stand-in")
	}
	channel := "incident-contract-api-" + time.Now().UTC().Format("2006-01-02")
	creates := f.Creates()
	if len(creates) != 1 || creates[0] != channel {
		t.Fatalf("conversations.create calls = %q, want one for %s", creates, channel)
	}
	cid, _ := f.ChannelID("#" + channel)
	var summary, pointer slacktest.Post
	var replies []slacktest.Post
	for _, p := range f.Posts() {
		switch {
		case p.ThreadTS != "":
			replies = append(replies, p)
		case p.Channel == "#deploys":
			pointer = p
		case summary.TS == "":
			summary = p
		}
	}
	for _, want := range []string{"Canary degradation detected", "Incident: " + id, "Affected version: 1.12.0", "Rollback: executed at", "100% of traffic on 1.11.3", "error-rate", "Status: mitigated since"} {
		if !strings.Contains(summary.Text, want) {
			t.Errorf("summary in #%s lacks %q:\n%s", channel, want, summary.Text)
		}
	}
	if summary.Channel != cid && summary.Channel != "#"+channel {
		t.Errorf("summary posted to %s, want the incident channel %s", summary.Channel, cid)
	}
	if !strings.Contains(pointer.Text, "Follow it in #"+channel) {
		t.Errorf("#deploys got %q, want a pointer to #%s", pointer.Text, channel)
	}
	if len(replies) != 2 {
		t.Fatalf("threaded replies = %+v, want the engineer's update and the resolution", replies)
	}
	for _, r := range replies {
		if r.ThreadTS != summary.TS || r.Channel != cid {
			t.Errorf("reply %q is in %s under %s, want under the summary %s in %s", r.Text, r.Channel, r.ThreadTS, summary.TS, cid)
		}
	}
	if !strings.Contains(replies[0].Text, "is investigating") || !strings.Contains(replies[0].Text, "Ana Souza: legacy contracts") {
		t.Errorf("first reply = %q, want Ana Souza's investigating update", replies[0].Text)
	}
	if !strings.Contains(replies[1].Text, id+" resolved") || !strings.Contains(replies[1].Text, "1.12.1 serves 100% of prod") ||
		!strings.Contains(replies[1].Text, "Time to mitigate") {
		t.Errorf("final reply = %q, want the resolution by 1.12.1 with the response times", replies[1].Text)
	}
	ups := f.Updates()
	if len(ups) != 2 {
		t.Fatalf("chat.update calls = %d, want the summary edited at each change", len(ups))
	}
	if last := ups[len(ups)-1]; last.TS != summary.TS || !strings.Contains(last.Text, "Status: resolved at") || !strings.Contains(last.Text, "by 1.12.1") ||
		!strings.Contains(last.Text, "Commander: Ana Souza") {
		t.Errorf("summary after the fix = %q, want it resolved by 1.12.1 with Ana Souza as commander", last.Text)
	}
}
