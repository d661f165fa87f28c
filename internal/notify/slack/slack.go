// Package slack posts notifications to Slack through its Web API
// (chat.postMessage), creates the incident channel (conversations.create) when an
// incident is announced, and keeps an incident's conversation: the summary at the
// top of its channel, updates threaded under it (thread_ts), the summary edited in
// place (chat.update) as the incident moves on.
//
// The bot token needs the chat:write and channels:manage scopes. It travels only in
// the Authorization header, never in a request body, a log line or an error.
package slack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"

	"github.com/slipway/slipway/internal/notify"
)

// DefaultTimeout bounds each Web API call.
const DefaultTimeout = 10 * time.Second

// Notifier posts messages to Slack channels.
//
// A message goes to its Channel, or to the default channel when it has none. A
// KindIncident message with a Channel first creates that channel (a public one,
// named without its "#"); when it already exists (name_taken) the message is
// posted to it by name. The incident announcement is also posted to the default
// channel, so people who watch deploys see it.
type Notifier struct {
	api     *slackapi.Client
	channel string
}

var _ notify.Notifier = (*Notifier)(nil)

type config struct {
	channel string
	apiURL  string
	client  *http.Client
	retries int
}

// Option configures a Notifier.
type Option func(*config)

// WithChannel sets the default channel ("#deploys" or a channel id).
func WithChannel(channel string) Option { return func(c *config) { c.channel = channel } }

// WithAPIURL points the notifier at another Web API base URL, such as
// "https://slack.example/api/" (the trailing slash is added when missing). Default
// https://slack.com/api/.
func WithAPIURL(u string) Option { return func(c *config) { c.apiURL = u } }

// WithHTTPClient sends requests through client's transport. Its Timeout, when
// zero, becomes DefaultTimeout.
func WithHTTPClient(client *http.Client) Option { return func(c *config) { c.client = client } }

// WithRateLimitRetries sets how many times a call answered 429 is retried after
// the Retry-After Slack sends. Default 3.
func WithRateLimitRetries(n int) Option { return func(c *config) { c.retries = n } }

// New returns a Notifier using the bot token (xoxb-...).
func New(token string, opts ...Option) (*Notifier, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, errors.New("slack: bot token is empty: create a Slack app, install it and pass its xoxb- token")
	}
	if !strings.HasPrefix(token, "xox") {
		return nil, errors.New("slack: token does not look like a Slack token (want xoxb-...)")
	}
	c := config{retries: 3}
	for _, opt := range opts {
		opt(&c)
	}
	client := &http.Client{}
	if c.client != nil {
		copied := *c.client
		client = &copied
	}
	if client.Timeout == 0 {
		client.Timeout = DefaultTimeout
	}
	base := client.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	client.Transport = &bearer{token: token, base: base}
	apiOpts := []slackapi.Option{slackapi.OptionHTTPClient(client)}
	if c.apiURL != "" {
		u, err := url.Parse(c.apiURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, errors.New("slack: API URL must be http(s)://host/path/")
		}
		if !strings.HasSuffix(c.apiURL, "/") {
			c.apiURL += "/"
		}
		apiOpts = append(apiOpts, slackapi.OptionAPIURL(c.apiURL))
	}
	if c.retries > 0 {
		apiOpts = append(apiOpts, slackapi.OptionRetry(c.retries)) // after the client, so it wraps it
	}
	return &Notifier{api: slackapi.New(token, apiOpts...), channel: c.channel}, nil
}

// Notify posts m, creating the incident channel first for an incident message.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("slack notify %q: %w", m.Title, err)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("slack notify: %w", err)
	}
	target := m.Channel
	if target == "" {
		target = n.channel
	}
	if target == "" {
		return fmt.Errorf("slack notify %q: no channel: set the message's channel or configure a default channel", m.Title)
	}
	if m.Kind == notify.KindIncident && m.Channel != "" {
		id, err := n.incidentChannel(ctx, m.Channel)
		if err != nil {
			return err
		}
		target = id
	}
	if err := n.post(ctx, target, m); err != nil {
		return err
	}
	if m.Kind == notify.KindIncident && m.Channel != "" && n.channel != "" && n.channel != m.Channel {
		return n.post(ctx, n.channel, m)
	}
	return nil
}

// incidentChannel creates the channel and returns its id, or returns the name to
// post to when it exists already.
func (n *Notifier) incidentChannel(ctx context.Context, channel string) (string, error) {
	name := strings.TrimPrefix(channel, "#")
	ch, err := n.api.CreateConversationContext(ctx, slackapi.CreateConversationParams{ChannelName: name})
	var serr slackapi.SlackErrorResponse
	switch {
	case err == nil:
		return ch.ID, nil
	case errors.As(err, &serr) && serr.Err == "name_taken":
		return "#" + name, nil
	default:
		return "", callError("conversations.create", channel, err)
	}
}

func (n *Notifier) post(ctx context.Context, channel string, m notify.Message) error {
	_, _, err := n.api.PostMessageContext(ctx, channel,
		slackapi.MsgOptionText(fallback(m), false),
		slackapi.MsgOptionBlocks(blocks(m)...))
	if err != nil {
		return callError("chat.postMessage", channel, err)
	}
	return nil
}

// hints say what to do about the Slack errors people meet first.
var hints = map[string]string{
	"channel_not_found": "check the channel name, or invite the Slipway app to a private channel",
	"not_in_channel":    "invite the Slipway app to the channel",
	"is_archived":       "unarchive the channel or pick another",
	"invalid_auth":      "the bot token is not valid: reinstall the app and update the token",
	"not_authed":        "no token reached Slack: set the bot token",
	"account_inactive":  "the bot token belongs to a deleted app or user",
	"token_revoked":     "the bot token was revoked: reinstall the app",
	"missing_scope":     "add the scope to the app and reinstall it",
	"invalid_name":      "channel names are lowercase letters, digits, - and _, at most 80 characters",
	"restricted_action": "the workspace does not let this app create channels",
}

func callError(method, channel string, err error) error {
	var serr slackapi.SlackErrorResponse
	if errors.As(err, &serr) {
		msg := fmt.Sprintf("slack %s in %s: %s", method, channel, serr.Err)
		if serr.Err == "missing_scope" && serr.Needed != "" {
			msg += " (needs " + serr.Needed + ")"
		}
		if hint := hints[serr.Err]; hint != "" {
			msg += ": " + hint
		}
		return &APIError{Method: method, Code: serr.Err, msg: msg}
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err // the URL adds nothing a reader needs
	}
	return fmt.Errorf("slack %s in %s: %w", method, channel, err)
}

// APIError is an ok:false answer from the Web API.
type APIError struct {
	Method string // "chat.postMessage"
	Code   string // Slack's error code: "channel_not_found"
	msg    string
}

func (e *APIError) Error() string { return e.msg }

// bearer sends the token in the Authorization header, as Slack recommends, and
// removes the copy the client library puts in form bodies.
type bearer struct {
	token string
	base  http.RoundTripper
}

func (b *bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.Header.Set("Authorization", "Bearer "+b.token)
	if req.Body != nil && strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		raw, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read request body: %w", err)
		}
		values, err := url.ParseQuery(string(raw))
		if err != nil {
			return nil, fmt.Errorf("parse request body: %w", err)
		}
		values.Del("token")
		body := values.Encode()
		out.Body = io.NopCloser(strings.NewReader(body))
		out.ContentLength = int64(len(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }
	}
	return b.base.RoundTrip(out)
}
