package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/slipway/slipway/internal/store"
)

// Webhook is the body Alertmanager posts to a webhook receiver (version "4").
type Webhook struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            Status            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []WebhookAlert    `json:"alerts"`
}

// WebhookAlert is one alert of a Webhook.
type WebhookAlert struct {
	Status       Status            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// maxWebhookBytes bounds a webhook body; Alertmanager's are a few kilobytes.
const maxWebhookBytes = 1 << 20

// Decode reads and checks a webhook body.
func Decode(r io.Reader) (Webhook, error) {
	var w Webhook
	dec := json.NewDecoder(io.LimitReader(r, maxWebhookBytes+1))
	if err := dec.Decode(&w); err != nil {
		return w, fmt.Errorf("decode Alertmanager webhook: %w (send Alertmanager's webhook JSON, version 4)", err)
	}
	var problems []string
	if w.Version != "4" {
		problems = append(problems, fmt.Sprintf("version %q is not supported: Slipway reads Alertmanager's webhook version 4", w.Version))
	}
	if w.GroupKey == "" {
		problems = append(problems, "groupKey is empty")
	}
	if w.Status != Firing && w.Status != Resolved {
		problems = append(problems, fmt.Sprintf("status %q is neither firing nor resolved", w.Status))
	}
	if len(w.Alerts) == 0 {
		problems = append(problems, "alerts is empty")
	}
	for i, a := range w.Alerts {
		if a.Status != Firing && a.Status != Resolved {
			problems = append(problems, fmt.Sprintf("alerts[%d].status %q is neither firing nor resolved", i, a.Status))
		}
		if a.StartsAt.IsZero() {
			problems = append(problems, fmt.Sprintf("alerts[%d].startsAt is missing", i))
		}
	}
	if len(problems) > 0 {
		return w, fmt.Errorf("Alertmanager webhook: %s", strings.Join(problems, "; "))
	}
	return w, nil
}

// alerts converts the webhook's alerts.
func (w Webhook) alerts() []Alert {
	out := make([]Alert, 0, len(w.Alerts))
	for _, wa := range w.Alerts {
		a := Alert{Source: "alertmanager", Name: wa.Labels[LabelName], Status: wa.Status,
			Severity: wa.Labels[LabelSeverity], Service: wa.Labels[LabelService], Env: wa.Labels[LabelEnv],
			Version: wa.Labels[LabelVersion], StartsAt: wa.StartsAt, EndsAt: wa.EndsAt,
			Summary: wa.Annotations["summary"], Fingerprint: wa.Fingerprint, URL: wa.GeneratorURL, Labels: wa.Labels}
		if a.Summary == "" {
			a.Summary = wa.Annotations["description"]
		}
		if a.Fingerprint == "" {
			a.Fingerprint = Fingerprint(wa.Labels)
		}
		if a.EndsAt.Year() <= 1 {
			a.EndsAt = time.Time{}
		}
		out = append(out, a)
	}
	return out
}

// key identifies one notification: its group, status and the firings it holds.
// Alertmanager sends the same key again on repeat_interval and when a peer of a
// cluster also sends it.
func (w Webhook) key() string {
	parts := make([]string, 0, len(w.Alerts))
	for _, a := range w.alerts() {
		parts = append(parts, a.Fingerprint+"@"+a.StartsAt.UTC().Format(time.RFC3339Nano)+"/"+string(a.Status))
	}
	sort.Strings(parts)
	return w.GroupKey + "|" + string(w.Status) + "|" + strings.Join(parts, ",")
}

// Marks remembers what was handled, across restarts: the store's records fit.
type Marks interface {
	Get(ctx context.Context, kind, id string, v any) error
	Put(ctx context.Context, kind, id string, v any) error
	// DeleteOlder forgets the marks of kind last written before t.
	DeleteOlder(ctx context.Context, kind string, t time.Time) (int64, error)
}

// MarkRetention is how long the receiver remembers a notification or an alert it
// handled. Alertmanager resends a firing group every repeat_interval (4h by
// default) and retries a failed one for minutes: a week covers both many times
// over, and an alert firing longer than that with the same start is acted on
// again once a week - joining the incident it opened.
const MarkRetention = 7 * 24 * time.Hour

// HandleFunc acts on one alert.
type HandleFunc func(ctx context.Context, a Alert) (Outcome, error)

// Receiver is the http.Handler Alertmanager's webhook_configs url points at
// (POST). A notification seen before (same group key, status and firings) is
// answered 200 and not acted on again; so is an alert already acted on in another
// notification. A malformed body is answered 400; a failure to act 500, so
// Alertmanager sends it again.
type Receiver struct {
	Marks  Marks
	Handle HandleFunc
	Log    *slog.Logger

	mu     sync.Mutex // one notification at a time: two copies never both act
	pruned time.Time  // when marks older than MarkRetention were last dropped
}

// Record kinds the receiver keeps.
const (
	markNotification = "alertmanager.notification"
	markAlert        = "alert.handled"
)

// Reply is the receiver's answer body.
type Reply struct {
	Duplicate bool      `json:"duplicate,omitempty"`
	Outcomes  []Outcome `json:"outcomes,omitempty"`
	Error     string    `json:"error,omitempty"`
}

func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, Reply{Error: "POST Alertmanager's webhook JSON here"})
		return
	}
	hook, err := Decode(r.Body)
	if err != nil {
		rc.log().Info("alertmanager webhook rejected", "err", err)
		reply(w, http.StatusBadRequest, Reply{Error: err.Error()})
		return
	}
	if hook.TruncatedAlerts > 0 {
		// Alertmanager's max_alerts cut the group short: those alerts come with a
		// later notification, or never; say so where an operator looks.
		rc.log().Warn("alertmanager webhook truncated: raise max_alerts in webhook_configs", "group", hook.GroupKey, "truncated", hook.TruncatedAlerts)
	}
	out, dup, err := rc.receive(r.Context(), hook)
	if err != nil {
		rc.log().Error("alertmanager webhook", "group", hook.GroupKey, "err", err)
		reply(w, http.StatusInternalServerError, Reply{Outcomes: out, Error: err.Error()})
		return
	}
	reply(w, http.StatusOK, Reply{Duplicate: dup, Outcomes: out})
}

func (rc *Receiver) receive(ctx context.Context, hook Webhook) ([]Outcome, bool, error) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.prune(ctx)
	key := hook.key()
	if seen, err := rc.seen(ctx, markNotification, key); err != nil || seen {
		return nil, seen, err
	}
	var outs []Outcome
	var errs []error
	for _, a := range hook.alerts() {
		id := a.Fingerprint + "@" + a.StartsAt.UTC().Format(time.RFC3339Nano) + "/" + string(a.Status)
		var prev Outcome
		if err := rc.Marks.Get(ctx, markAlert, id, &prev); err == nil {
			prev.Duplicate = true
			outs = append(outs, prev)
			continue
		}
		o, err := rc.Handle(ctx, a)
		if err != nil {
			errs = append(errs, fmt.Errorf("alert %s (%s): %w", a.Name, a.Fingerprint, err))
			continue
		}
		outs = append(outs, o)
		if err := rc.Marks.Put(ctx, markAlert, id, o); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return outs, false, errors.Join(errs...)
	}
	return outs, false, rc.Marks.Put(ctx, markNotification, key, map[string]any{"group": hook.GroupKey, "status": hook.Status, "at": time.Now().UTC()})
}

// prune drops marks older than MarkRetention, at most once an hour. A failure
// is logged: the marks stay, and nothing is acted on twice.
func (rc *Receiver) prune(ctx context.Context) {
	now := time.Now()
	if now.Sub(rc.pruned) < time.Hour {
		return
	}
	rc.pruned = now
	for _, kind := range []string{markNotification, markAlert} {
		if _, err := rc.Marks.DeleteOlder(ctx, kind, now.Add(-MarkRetention)); err != nil {
			rc.log().Warn("alertmanager webhook: old marks stay", "kind", kind, "err", err)
		}
	}
}

func (rc *Receiver) seen(ctx context.Context, kind, id string) (bool, error) {
	var v map[string]any
	err := rc.Marks.Get(ctx, kind, id, &v)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return false, err
}

func (rc *Receiver) log() *slog.Logger {
	if rc.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return rc.Log
}

func reply(w http.ResponseWriter, code int, r Reply) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(r)
}
