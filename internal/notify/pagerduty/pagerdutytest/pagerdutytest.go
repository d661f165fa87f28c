// Package pagerdutytest is a stand-in for PagerDuty's Events API v2, for tests of
// code that pages: it checks the documented shapes of alert events
// (/v2/enqueue) and change events (/v2/change/enqueue) and answers 202 the way
// PagerDuty does, or 400 with the problems found.
package pagerdutytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// Event is an accepted event, decoded.
type Event struct {
	Path        string         `json:"-"` // /v2/enqueue or /v2/change/enqueue
	RoutingKey  string         `json:"routing_key"`
	EventAction string         `json:"event_action"`
	DedupKey    string         `json:"dedup_key"`
	Payload     map[string]any `json:"payload"`
	Links       []any          `json:"links"`
}

// Server is a fake Events API on a loopback listener.
type Server struct {
	t   testing.TB
	key string
	srv *httptest.Server

	mu     sync.Mutex
	events []Event
	fail   int // answer 500 to this many next calls
}

// New starts a server that accepts events for routingKey; it stops when the test
// ends.
func New(t testing.TB, routingKey string) *Server {
	s := &Server{t: t, key: routingKey}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v2/enqueue", s.handle)
	mux.HandleFunc("POST /v2/change/enqueue", s.handle)
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the Events API base URL.
func (s *Server) URL() string { return s.srv.URL }

// Fail answers the next n calls 500.
func (s *Server) Fail(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = n
}

// Events returns the accepted events, in order.
func (s *Server) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events)
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	failing := s.fail > 0
	if failing {
		s.fail--
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if failing {
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	var ev Event
	var problems []string
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		problems = append(problems, fmt.Sprintf("Content-Type %q, want application/json", ct))
	}
	if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
		problems = append(problems, "body is not JSON: "+err.Error())
	}
	ev.Path = r.URL.Path
	if ev.RoutingKey != s.key {
		problems = append(problems, "routing_key is not the integration key")
	}
	if ev.Path == "/v2/change/enqueue" {
		problems = append(problems, checkChange(ev)...)
	} else {
		problems = append(problems, checkAlert(ev)...)
	}
	if len(problems) > 0 {
		s.t.Errorf("PagerDuty %s refused: %v", r.URL.Path, problems)
		w.WriteHeader(http.StatusBadRequest)
		json.NewEncoder(w).Encode(map[string]any{"status": "invalid event", "message": "Event object is invalid", "errors": problems})
		return
	}
	s.mu.Lock()
	s.events = append(s.events, ev)
	s.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
	json.NewEncoder(w).Encode(map[string]any{"status": "success", "message": "Event processed", "dedup_key": ev.DedupKey})
}

// checkAlert follows the Events API v2 alert event: event_action is trigger,
// acknowledge or resolve; acknowledge and resolve need dedup_key; trigger needs a
// payload with summary (at most 1024 characters), source and a known severity,
// and an RFC 3339 timestamp when one is given.
func checkAlert(ev Event) []string {
	var problems []string
	switch ev.EventAction {
	case "trigger":
		summary, _ := ev.Payload["summary"].(string)
		source, _ := ev.Payload["source"].(string)
		sev, _ := ev.Payload["severity"].(string)
		if summary == "" || len(summary) > 1024 {
			problems = append(problems, "payload.summary is required, at most 1024 characters")
		}
		if source == "" {
			problems = append(problems, "payload.source is required")
		}
		if !slices.Contains([]string{"critical", "error", "warning", "info"}, sev) {
			problems = append(problems, fmt.Sprintf("payload.severity %q is not critical, error, warning or info", sev))
		}
		if ts, ok := ev.Payload["timestamp"].(string); ok {
			if _, err := time.Parse(time.RFC3339, ts); err != nil {
				problems = append(problems, "payload.timestamp is not RFC 3339")
			}
		}
	case "acknowledge", "resolve":
		if ev.DedupKey == "" {
			problems = append(problems, ev.EventAction+" needs dedup_key")
		}
	default:
		problems = append(problems, fmt.Sprintf("event_action %q is not trigger, acknowledge or resolve", ev.EventAction))
	}
	if len(ev.DedupKey) > 255 {
		problems = append(problems, "dedup_key is longer than 255 characters")
	}
	return problems
}

// checkChange follows the change event: a payload with a summary (at most 1024
// characters); no event_action.
func checkChange(ev Event) []string {
	var problems []string
	if ev.EventAction != "" {
		problems = append(problems, "change events carry no event_action")
	}
	summary, _ := ev.Payload["summary"].(string)
	if summary == "" || len(summary) > 1024 {
		problems = append(problems, "payload.summary is required, at most 1024 characters")
	}
	return problems
}
