// Package webhook delivers notifications as JSON POSTs to an HTTP endpoint, signed
// with HMAC-SHA256 when a secret is configured, retried on server errors.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/slipway/slipway/internal/notify"
)

// Headers sent with every delivery.
const (
	// HeaderSignature carries "sha256=<hex>", the HMAC-SHA256 of the raw body keyed
	// with the secret. Receivers recompute it and compare in constant time.
	HeaderSignature = "X-Slipway-Signature"
	// HeaderDelivery is a random id, the same for every attempt of one message, so a
	// receiver can drop a duplicate delivered by a retry.
	HeaderDelivery = "X-Slipway-Delivery"
	// HeaderEvent repeats the payload's kind, for routing without parsing the body.
	HeaderEvent = "X-Slipway-Event"
)

// Defaults used when no option overrides them.
const (
	DefaultTimeout  = 10 * time.Second       // per attempt
	DefaultAttempts = 3                      // first try included
	DefaultBackoff  = 500 * time.Millisecond // doubled after each failed attempt
)

// Notifier POSTs each message to one URL.
type Notifier struct {
	url      string
	host     string // for errors: never the full URL, which may hold a token
	secret   []byte
	client   *http.Client
	timeout  time.Duration
	attempts int
	backoff  time.Duration
}

var _ notify.Notifier = (*Notifier)(nil)

// Option configures a Notifier.
type Option func(*Notifier)

// WithSecret signs every body with HMAC-SHA256 keyed with secret (header
// X-Slipway-Signature). An empty secret leaves deliveries unsigned.
func WithSecret(secret string) Option {
	return func(n *Notifier) { n.secret = []byte(secret) }
}

// WithClient sends requests with c instead of a fresh http.Client.
func WithClient(c *http.Client) Option {
	return func(n *Notifier) { n.client = c }
}

// WithTimeout bounds each attempt. Default DefaultTimeout.
func WithTimeout(d time.Duration) Option {
	return func(n *Notifier) { n.timeout = d }
}

// WithRetry sets how many attempts a message gets (at least one) and the wait
// before the second, doubled before each later one. Default DefaultAttempts,
// DefaultBackoff.
func WithRetry(attempts int, backoff time.Duration) Option {
	return func(n *Notifier) { n.attempts, n.backoff = attempts, backoff }
}

// New returns a Notifier posting to rawURL, an http or https URL.
func New(rawURL string, opts ...Option) (*Notifier, error) {
	// url.Parse errors quote the input, which may carry a token: do not wrap them.
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, errors.New("webhook url is not a valid URL: want http(s)://host/path")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("webhook url scheme is %q: want http or https", u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New("webhook url has no host: want http(s)://host/path")
	}
	n := &Notifier{
		url:      rawURL,
		host:     u.Host,
		client:   &http.Client{},
		timeout:  DefaultTimeout,
		attempts: DefaultAttempts,
		backoff:  DefaultBackoff,
	}
	for _, opt := range opts {
		opt(n)
	}
	if n.attempts < 1 {
		n.attempts = 1
	}
	if n.timeout <= 0 {
		n.timeout = DefaultTimeout
	}
	return n, nil
}

// Notify POSTs m as a Payload. It retries on connection errors, 5xx and 429
// answers, waiting between attempts; any other 4xx is final, since sending the
// same body again would get the same answer.
func (n *Notifier) Notify(ctx context.Context, m notify.Message) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("webhook %s: %w", n.host, err)
	}
	if err := m.Validate(); err != nil {
		return fmt.Errorf("webhook %s: %w", n.host, err)
	}
	body, err := json.Marshal(NewPayload(m))
	if err != nil {
		return fmt.Errorf("webhook %s: encode %q: %w", n.host, m.Title, err)
	}
	delivery := newDeliveryID()
	wait := n.backoff
	var last error
	for attempt := 1; attempt <= n.attempts; attempt++ {
		retry, err := n.post(ctx, body, m.Kind, delivery)
		if err == nil {
			return nil
		}
		last = err
		if !retry || attempt == n.attempts {
			break
		}
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("webhook %s: %w (after attempt %d: %v)", n.host, err, attempt, last)
		}
		wait *= 2
	}
	return fmt.Errorf("webhook %s: %w", n.host, last)
}

// post makes one attempt and says whether a failure is worth retrying.
func (n *Notifier) post(ctx context.Context, body []byte, kind, delivery string) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, n.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, bytes.NewReader(body))
	if err != nil {
		return false, errors.New("build request: invalid webhook url")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "slipway")
	req.Header.Set(HeaderDelivery, delivery)
	if kind != "" {
		req.Header.Set(HeaderEvent, kind)
	}
	if len(n.secret) > 0 {
		req.Header.Set(HeaderSignature, Sign(n.secret, body))
	}
	resp, err := n.client.Do(req)
	if err != nil {
		// *url.Error quotes the full URL; keep only its cause.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
			return true, fmt.Errorf("post: %w", ctxErr)
		}
		return true, fmt.Errorf("post: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return false, nil
	case resp.StatusCode >= 500, resp.StatusCode == http.StatusTooManyRequests:
		return true, &StatusError{Code: resp.StatusCode}
	default:
		return false, &StatusError{Code: resp.StatusCode}
	}
}

// StatusError is a non-2xx answer from the endpoint.
type StatusError struct{ Code int }

func (e *StatusError) Error() string {
	return fmt.Sprintf("endpoint answered %d %s", e.Code, http.StatusText(e.Code))
}

// Sign returns the X-Slipway-Signature value for body: "sha256=" and the hex
// HMAC-SHA256 of body keyed with secret.
func Sign(secret, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify reports whether signature is Sign(secret, body), in constant time.
// Receivers written in Go can use it as is.
func Verify(secret, body []byte, signature string) bool {
	return hmac.Equal([]byte(signature), []byte(Sign(secret, body)))
}

func newDeliveryID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
