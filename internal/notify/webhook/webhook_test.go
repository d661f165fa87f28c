package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/slipway/slipway/internal/notify"
	"github.com/slipway/slipway/internal/notify/notifytest"
	"github.com/slipway/slipway/internal/notify/webhook"
)

// request is what the fake endpoint saw.
type request struct {
	method string
	path   string
	header http.Header
	body   []byte
}

// endpoint is a real HTTP server answering with the statuses it is given in turn
// (200 once they run out) and recording every request.
type endpoint struct {
	mu       sync.Mutex
	statuses []int
	requests []request
	srv      *httptest.Server
}

func newEndpoint(t *testing.T, statuses ...int) *endpoint {
	t.Helper()
	e := &endpoint{statuses: statuses}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			t.Errorf("read body: %v", err)
		}
		e.mu.Lock()
		e.requests = append(e.requests, request{method: r.Method, path: r.URL.Path, header: r.Header.Clone(), body: body})
		status := http.StatusOK
		if len(e.statuses) > 0 {
			status, e.statuses = e.statuses[0], e.statuses[1:]
		}
		e.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(e.srv.Close)
	return e
}

func (e *endpoint) seen() []request {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]request(nil), e.requests...)
}

// bodies lists the request bodies; the endpoint answers 200 unless told otherwise.
func (e *endpoint) bodies() []string {
	var out []string
	for _, r := range e.seen() {
		out = append(out, string(r.body))
	}
	return out
}

func fast() webhook.Option { return webhook.WithRetry(3, time.Millisecond) }

func TestConformance(t *testing.T) {
	notifytest.Run(t, func(t *testing.T) (notify.Notifier, notifytest.Received) {
		e := newEndpoint(t)
		n, err := webhook.New(e.srv.URL+"/hooks/slipway", webhook.WithSecret("s3cret"), fast())
		if err != nil {
			t.Fatal(err)
		}
		return n, e.bodies
	})
}

func TestRequestShape(t *testing.T) {
	e := newEndpoint(t)
	secret := "shhh-signing-key"
	n, err := webhook.New(e.srv.URL+"/hooks/slipway", webhook.WithSecret(secret))
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(t.Context(), notifytest.Full()); err != nil {
		t.Fatalf("Notify() = %v", err)
	}
	reqs := e.seen()
	if len(reqs) != 1 {
		t.Fatalf("endpoint saw %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.method != http.MethodPost || r.path != "/hooks/slipway" {
		t.Errorf("request = %s %s, want POST /hooks/slipway", r.method, r.path)
	}
	for name, want := range map[string]string{
		"Content-Type":        "application/json",
		"User-Agent":          "slipway",
		webhook.HeaderEvent:   "rollback",
		"X-Slipway-Signature": webhook.Sign([]byte(secret), r.body),
	} {
		if got := r.header.Get(name); got != want {
			t.Errorf("header %s = %q, want %q", name, got, want)
		}
	}
	if !webhook.Verify([]byte(secret), r.body, r.header.Get(webhook.HeaderSignature)) {
		t.Error("signature does not verify with the secret")
	}
	if webhook.Verify([]byte("other"), r.body, r.header.Get(webhook.HeaderSignature)) {
		t.Error("signature verifies with the wrong secret")
	}
	if len(r.header.Get(webhook.HeaderDelivery)) != 32 {
		t.Errorf("delivery id = %q, want 32 hex digits", r.header.Get(webhook.HeaderDelivery))
	}
	var got map[string]any
	if err := json.Unmarshal(r.body, &got); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.body)
	}
	want := map[string]any{
		"schema":   "slipway.notification/v1",
		"kind":     "rollback",
		"severity": "critical",
		"title":    "Canary degradation detected",
		"text":     "error rate above SLO on the canary\ntraffic moved back to 1.11.3",
		"service":  "contract-api",
		"env":      "prod",
		"version":  "1.12.0",
		"incident": "INC-7",
		"channel":  "#incident-contract-api-2026-11-26",
		"fields": []any{
			map[string]any{"name": "Action", "value": "rollback initiated"},
			map[string]any{"name": "error_rate", "value": "0.083 (threshold 0.01)"},
		},
		"time": "2026-11-26T10:08:00Z",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}
}

func TestEmptyKeysPresentAndUnsigned(t *testing.T) {
	e := newEndpoint(t)
	n, err := webhook.New(e.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(t.Context(), notify.Message{Title: "Run 42 failed"}); err != nil {
		t.Fatal(err)
	}
	r := e.seen()[0]
	if sig := r.header.Get(webhook.HeaderSignature); sig != "" {
		t.Errorf("unsigned notifier sent signature %q", sig)
	}
	want := `{"schema":"slipway.notification/v1","kind":"","severity":"info","title":"Run 42 failed","text":"","service":"","env":"","version":"","incident":"","channel":"","fields":[],"time":""}`
	if diff := cmp.Diff(want, string(r.body)); diff != "" {
		t.Errorf("body (-want +got):\n%s", diff)
	}
}

func TestRetries(t *testing.T) {
	tests := []struct {
		name         string
		statuses     []int
		wantRequests int
		wantErr      string // substring; "" means success
	}{
		{name: "ok first time", statuses: nil, wantRequests: 1},
		{name: "5xx then ok", statuses: []int{503, 502}, wantRequests: 3},
		{name: "429 then ok", statuses: []int{429}, wantRequests: 2},
		{name: "5xx every time", statuses: []int{500, 500, 500, 500}, wantRequests: 3, wantErr: "endpoint answered 500 Internal Server Error"},
		{name: "4xx is final", statuses: []int{400, 200}, wantRequests: 1, wantErr: "endpoint answered 400 Bad Request"},
		{name: "401 is final", statuses: []int{401}, wantRequests: 1, wantErr: "endpoint answered 401 Unauthorized"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEndpoint(t, tt.statuses...)
			n, err := webhook.New(e.srv.URL+"/T000/B000/tokenpart", fast())
			if err != nil {
				t.Fatal(err)
			}
			err = n.Notify(t.Context(), notify.Message{Title: "x"})
			reqs := e.seen()
			if len(reqs) != tt.wantRequests {
				t.Errorf("endpoint saw %d requests, want %d", len(reqs), tt.wantRequests)
			}
			ids := map[string]bool{}
			for _, r := range reqs {
				ids[r.header.Get(webhook.HeaderDelivery)] = true
			}
			if len(ids) != 1 {
				t.Errorf("attempts carried %d delivery ids, want 1 shared id", len(ids))
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Notify() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Notify() = %v, want error containing %q", err, tt.wantErr)
			}
			host := strings.TrimPrefix(e.srv.URL, "http://")
			if !strings.Contains(err.Error(), host) {
				t.Errorf("error %q does not name the host %s", err, host)
			}
			if strings.Contains(err.Error(), "tokenpart") {
				t.Errorf("error %q leaks the URL path", err)
			}
			var se *webhook.StatusError
			if !errors.As(err, &se) {
				t.Errorf("error %v is not a *StatusError", err)
			}
		})
	}
}

func TestConnectionRefused(t *testing.T) {
	e := newEndpoint(t)
	url := e.srv.URL + "/hooks/secret-token-123"
	e.srv.Close()
	n, err := webhook.New(url, fast())
	if err != nil {
		t.Fatal(err)
	}
	err = n.Notify(t.Context(), notify.Message{Title: "x"})
	if err == nil {
		t.Fatal("Notify() to a closed server = nil, want an error")
	}
	if strings.Contains(err.Error(), "secret-token-123") {
		t.Errorf("error %q leaks the URL path", err)
	}
	if !strings.Contains(err.Error(), strings.TrimPrefix(e.srv.URL, "http://")) {
		t.Errorf("error %q does not name the host", err)
	}
}

func TestAttemptTimeout(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	n, err := webhook.New(srv.URL, webhook.WithTimeout(20*time.Millisecond), webhook.WithRetry(2, time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	err = n.Notify(t.Context(), notify.Message{Title: "x"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Notify() to a hanging endpoint = %v, want a deadline error", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if calls != 2 {
		t.Errorf("endpoint saw %d attempts, want 2", calls)
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cancel() // the caller gives up while Slipway waits to retry
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	n, err := webhook.New(srv.URL, webhook.WithRetry(3, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	err = n.Notify(ctx, notify.Message{Title: "x"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Notify() = %v, want context.Canceled", err)
	}
}

func TestNewRejectsBadURL(t *testing.T) {
	tests := []struct {
		url, want string
	}{
		{url: "ftp://hooks.example.com/x", want: `scheme is "ftp"`},
		{url: "hooks.example.com/x", want: `scheme is ""`},
		{url: "https:///path-only", want: "no host"},
		{url: "https://hooks.example.com/%zz-token", want: "not a valid URL"},
	}
	for _, tt := range tests {
		_, err := webhook.New(tt.url)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%q) = %v, want error containing %q", tt.url, err, tt.want)
			continue
		}
		if strings.Contains(err.Error(), "token") {
			t.Errorf("New(%q) error %q echoes the URL", tt.url, err)
		}
	}
}
