// Package pagerduty pages the people on call through PagerDuty's Events API v2:
// an alert is triggered when an incident opens and resolved when it is resolved,
// deduplicated by the incident id; deploys to production are sent as change
// events, so responders see what changed beside the alert.
//
// The routing key (an Events API v2 integration key) travels only in request
// bodies, never in an error or a log line.
package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/notify"
)

// DefaultURL is PagerDuty's Events API.
const DefaultURL = "https://events.pagerduty.com"

// Defaults used when no option overrides them.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultAttempts = 3 // first try included; 429 and 5xx answers are retried
	DefaultBackoff  = 500 * time.Millisecond
)

// Client sends events for one routing key.
type Client struct {
	key      string
	base     string
	client   *http.Client
	attempts int
	backoff  time.Duration
}

// Option configures a Client.
type Option func(*Client)

// WithURL points the client at another Events API base URL (a proxy, a test
// server). Default DefaultURL.
func WithURL(u string) Option { return func(c *Client) { c.base = strings.TrimRight(u, "/") } }

// WithHTTPClient sends requests with hc.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.client = hc } }

// WithRetry sets the attempts per event (at least one) and the wait before the
// second, doubled before each later one.
func WithRetry(attempts int, backoff time.Duration) Option {
	return func(c *Client) { c.attempts, c.backoff = max(attempts, 1), backoff }
}

// New returns a client for routingKey, the integration key of an Events API v2
// integration of a PagerDuty service.
func New(routingKey string, opts ...Option) (*Client, error) {
	routingKey = strings.TrimSpace(routingKey)
	if routingKey == "" {
		return nil, errors.New("pagerduty: routing key is empty: add an Events API v2 integration to the PagerDuty service and pass its integration key")
	}
	c := &Client{key: routingKey, base: DefaultURL, attempts: DefaultAttempts, backoff: DefaultBackoff}
	for _, o := range opts {
		o(c)
	}
	if u, err := url.Parse(c.base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("pagerduty: events URL %q must be http(s)://host", c.base)
	}
	if c.client == nil {
		c.client = &http.Client{Timeout: DefaultTimeout}
	}
	return c, nil
}

// event is an Events API v2 alert event.
type event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"` // trigger, acknowledge, resolve
	DedupKey    string   `json:"dedup_key,omitempty"`
	Payload     *payload `json:"payload,omitempty"`
	Client      string   `json:"client,omitempty"`
	Links       []link   `json:"links,omitempty"`
}

type payload struct {
	Summary       string            `json:"summary"`
	Source        string            `json:"source"`
	Severity      string            `json:"severity,omitempty"` // critical, error, warning, info
	Timestamp     string            `json:"timestamp,omitempty"`
	Component     string            `json:"component,omitempty"`
	Group         string            `json:"group,omitempty"`
	Class         string            `json:"class,omitempty"`
	CustomDetails map[string]string `json:"custom_details,omitempty"`
}

type link struct {
	Href string `json:"href"`
	Text string `json:"text,omitempty"`
}

// Trigger opens the alert p.Key, or updates it when it is open already.
func (c *Client) Trigger(ctx context.Context, p notify.Page) error {
	if strings.TrimSpace(p.Key) == "" || strings.TrimSpace(p.Summary) == "" {
		return errors.New("pagerduty trigger: a page needs a key and a summary")
	}
	source := p.Source
	if source == "" {
		source = "slipway"
	}
	ev := event{RoutingKey: c.key, EventAction: "trigger", DedupKey: p.Key, Client: "Slipway",
		Payload: &payload{Summary: clip(p.Summary, 1024), Source: source, Severity: severity(p.Severity),
			Timestamp: stamp(p.Time), Class: "incident", CustomDetails: p.Details}}
	if i := strings.Index(source, "/"); i > 0 {
		ev.Payload.Component, ev.Payload.Group = source[:i], source[i+1:]
	}
	for _, l := range p.Links {
		ev.Links = append(ev.Links, link{Href: l.Value, Text: l.Name})
	}
	return c.send(ctx, "/v2/enqueue", "trigger "+p.Key, ev)
}

// Acknowledge tells PagerDuty someone is working on the alert key, which stops
// its escalation.
func (c *Client) Acknowledge(ctx context.Context, key string) error {
	if strings.TrimSpace(key) == "" {
		return errors.New("pagerduty acknowledge: the key is empty")
	}
	return c.send(ctx, "/v2/enqueue", "acknowledge "+key, event{RoutingKey: c.key, EventAction: "acknowledge", DedupKey: key})
}

// Resolve resolves the alert key.
func (c *Client) Resolve(ctx context.Context, key string) error {
	if strings.TrimSpace(key) == "" {
		return errors.New("pagerduty resolve: the key is empty")
	}
	return c.send(ctx, "/v2/enqueue", "resolve "+key, event{RoutingKey: c.key, EventAction: "resolve", DedupKey: key})
}

// change is an Events API v2 change event.
type change struct {
	RoutingKey string        `json:"routing_key"`
	Payload    changePayload `json:"payload"`
	Links      []link        `json:"links,omitempty"`
}

type changePayload struct {
	Summary       string            `json:"summary"`
	Source        string            `json:"source,omitempty"`
	Timestamp     string            `json:"timestamp,omitempty"`
	CustomDetails map[string]string `json:"custom_details,omitempty"`
}

// Change records a change (a deploy) on the service's timeline.
func (c *Client) Change(ctx context.Context, ch notify.Change) error {
	if strings.TrimSpace(ch.Summary) == "" {
		return errors.New("pagerduty change: the summary is empty")
	}
	return c.send(ctx, "/v2/change/enqueue", "change event", change{RoutingKey: c.key,
		Payload: changePayload{Summary: clip(ch.Summary, 1024), Source: ch.Source, Timestamp: stamp(ch.Time), CustomDetails: ch.Details}})
}

// send posts body, retrying 429 and 5xx answers and network errors.
func (c *Client) send(ctx context.Context, path, what string, body any) error {
	raw, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("pagerduty %s: encode: %w", what, err)
	}
	wait := c.backoff
	var last error
	for attempt := 1; attempt <= c.attempts; attempt++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("pagerduty %s: %w", what, err)
		}
		retry, err := c.post(ctx, path, raw)
		if err == nil {
			return nil
		}
		last = fmt.Errorf("pagerduty %s: %w", what, err)
		if !retry || attempt == c.attempts {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("pagerduty %s: %w", what, ctx.Err())
		case <-time.After(wait):
		}
		wait *= 2
	}
	return last
}

// answer is what the Events API says about an event.
type answer struct {
	Status  string   `json:"status"`
	Message string   `json:"message"`
	Errors  []string `json:"errors"`
}

func (c *Client) post(ctx context.Context, path string, raw []byte) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(raw))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return true, err
	}
	defer resp.Body.Close()
	var a answer
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&a)
	switch {
	case resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusOK:
		return false, nil
	case resp.StatusCode == http.StatusBadRequest:
		return false, fmt.Errorf("refused (400 %s: %s): check the routing key is an Events API v2 integration key", a.Message, strings.Join(a.Errors, "; "))
	case resp.StatusCode == http.StatusTooManyRequests:
		return true, errors.New("rate limited (429)")
	case resp.StatusCode >= 500:
		return true, fmt.Errorf("server error (%d)", resp.StatusCode)
	}
	return false, fmt.Errorf("unexpected answer %d %s", resp.StatusCode, a.Message)
}

// severity maps Slipway's severities to PagerDuty's.
func severity(s string) string {
	switch s {
	case notify.SeverityCritical:
		return "critical"
	case notify.SeverityWarning:
		return "warning"
	}
	return "info"
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
