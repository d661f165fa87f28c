// Package slacktest is a stand-in for the Slack Web API, for tests of code that
// talks to Slack: it checks the request shapes Slack documents for
// conversations.create, chat.postMessage (threaded replies included) and
// chat.update, and answers in Slack's JSON shape. Slack itself cannot run here.
package slacktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// Post is one chat.postMessage call the server accepted.
type Post struct {
	// Channel is the channel as the caller named it: an id or "#name".
	Channel string
	Text    string
	Blocks  []map[string]any
	// ThreadTS is the parent message of a threaded reply, empty for a top-level
	// message; TS is the message's own timestamp id.
	ThreadTS string `json:",omitempty"`
	TS       string
}

// Update is one chat.update call the server accepted.
type Update struct {
	Channel, TS, Text string
	Blocks            []map[string]any
}

// Server is a fake Slack Web API on a loopback listener.
type Server struct {
	t     testing.TB
	token string
	srv   *httptest.Server

	mu        sync.Mutex
	channels  map[string]string // name without "#" -> id
	messages  map[string]bool   // "<channel id>/<ts>" of every top-level message
	posts     []Post
	updates   []Update
	creates   []string
	rateLimit int // answer 429 to this many next calls
}

var channelName = regexp.MustCompile(`^[a-z0-9_-]{1,80}$`)

// New starts a server that accepts token and knows the channels given ("#name").
// It stops when the test ends.
func New(t testing.TB, token string, channels ...string) *Server {
	t.Helper()
	s := &Server{t: t, token: token, channels: map[string]string{}, messages: map[string]bool{}}
	for _, c := range channels {
		s.channels[strings.TrimPrefix(c, "#")] = fmt.Sprintf("C%04d", len(s.channels)+1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/chat.postMessage", s.handle(s.postMessage))
	mux.HandleFunc("/api/chat.update", s.handle(s.update))
	mux.HandleFunc("/api/conversations.create", s.handle(s.createConversation))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("Slack call to %s, which this stand-in does not know", r.URL.Path)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		fmt.Fprint(w, `{"ok":false,"error":"unknown_method"}`)
	})
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the Web API base URL, ending in "/api/".
func (s *Server) URL() string { return s.srv.URL + "/api/" }

// Close stops the server: later calls fail to connect.
func (s *Server) Close() { s.srv.Close() }

// RateLimit answers the next n calls 429 with Retry-After: 0.
func (s *Server) RateLimit(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rateLimit = n
}

// handle checks what every Web API call must carry.
func (s *Server) handle(method func(r *http.Request) map[string]any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		limited := s.rateLimit > 0
		if limited {
			s.rateLimit--
		}
		s.mu.Unlock()
		if limited {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		var answer map[string]any
		switch {
		case r.Method != http.MethodPost:
			s.t.Errorf("%s %s, Slack wants POST", r.Method, r.URL.Path)
			answer = map[string]any{"ok": false, "error": "invalid_request"}
		case r.Header.Get("Authorization") != "Bearer "+s.token:
			s.t.Errorf("%s: Authorization = %q, want Bearer and the token", r.URL.Path, r.Header.Get("Authorization"))
			answer = map[string]any{"ok": false, "error": "not_authed"}
		case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
			s.t.Errorf("%s: Content-Type = %q, want a form", r.URL.Path, r.Header.Get("Content-Type"))
			answer = map[string]any{"ok": false, "error": "invalid_form_data"}
		default:
			if err := r.ParseForm(); err != nil {
				s.t.Errorf("parse form: %v", err)
			}
			if r.PostForm.Has("token") {
				s.t.Errorf("token sent in the body of %s; it belongs in the Authorization header", r.URL.Path)
			}
			answer = method(r)
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if err := json.NewEncoder(w).Encode(answer); err != nil {
			s.t.Errorf("encode answer: %v", err)
		}
	}
}

// content checks text and blocks: one of them is required, blocks must be a
// JSON array of typed blocks.
func content(r *http.Request) ([]map[string]any, string) {
	if r.PostForm.Get("text") == "" && r.PostForm.Get("blocks") == "" {
		return nil, "no_text"
	}
	var blocks []map[string]any
	if raw := r.PostForm.Get("blocks"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
			return nil, "invalid_blocks"
		}
		for _, b := range blocks {
			if b["type"] == nil {
				return nil, "invalid_blocks"
			}
		}
	}
	return blocks, ""
}

// channelID resolves an id or "#name"; s.mu is held.
func (s *Server) channelID(channel string) (string, bool) {
	if name, ok := strings.CutPrefix(channel, "#"); ok {
		id, known := s.channels[name]
		return id, known
	}
	for _, cid := range s.channels {
		if cid == channel {
			return cid, true
		}
	}
	return "", false
}

func (s *Server) postMessage(r *http.Request) map[string]any {
	channel, text, thread := r.PostForm.Get("channel"), r.PostForm.Get("text"), r.PostForm.Get("thread_ts")
	if channel == "" {
		return map[string]any{"ok": false, "error": "channel_not_found"}
	}
	blocks, problem := content(r)
	if problem != "" {
		return map[string]any{"ok": false, "error": problem}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, known := s.channelID(channel)
	if !known {
		return map[string]any{"ok": false, "error": "channel_not_found"}
	}
	if thread != "" && !s.messages[id+"/"+thread] {
		s.t.Errorf("chat.postMessage replies under thread_ts %s, which is no message of %s", thread, channel)
		return map[string]any{"ok": false, "error": "thread_not_found"}
	}
	ts := fmt.Sprintf("1764151680.%06d", len(s.posts)+1)
	if thread == "" {
		s.messages[id+"/"+ts] = true
	}
	s.posts = append(s.posts, Post{Channel: channel, Text: text, Blocks: blocks, ThreadTS: thread, TS: ts})
	return map[string]any{"ok": true, "channel": id, "ts": ts, "message": map[string]any{"text": text, "ts": ts}}
}

// update follows chat.update: the channel must be an id (names are refused) and
// ts a message of it.
func (s *Server) update(r *http.Request) map[string]any {
	channel, ts := r.PostForm.Get("channel"), r.PostForm.Get("ts")
	blocks, problem := content(r)
	if problem != "" {
		return map[string]any{"ok": false, "error": problem}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.HasPrefix(channel, "#") {
		s.t.Errorf("chat.update with channel %q: Slack wants the channel id chat.postMessage returned", channel)
		return map[string]any{"ok": false, "error": "channel_not_found"}
	}
	if !s.messages[channel+"/"+ts] {
		return map[string]any{"ok": false, "error": "message_not_found"}
	}
	s.updates = append(s.updates, Update{Channel: channel, TS: ts, Text: r.PostForm.Get("text"), Blocks: blocks})
	return map[string]any{"ok": true, "channel": channel, "ts": ts, "text": r.PostForm.Get("text")}
}

func (s *Server) createConversation(r *http.Request) map[string]any {
	name := r.PostForm.Get("name")
	if !channelName.MatchString(name) {
		return map[string]any{"ok": false, "error": "invalid_name"}
	}
	if p := r.PostForm.Get("is_private"); p != "" && p != "false" && p != "true" {
		return map[string]any{"ok": false, "error": "invalid_arguments"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.creates = append(s.creates, name)
	if _, taken := s.channels[name]; taken {
		return map[string]any{"ok": false, "error": "name_taken"}
	}
	id := fmt.Sprintf("C%04d", len(s.channels)+1)
	s.channels[name] = id
	return map[string]any{"ok": true, "channel": map[string]any{"id": id, "name": name, "is_channel": true}}
}

// Posts returns the accepted chat.postMessage calls, in order.
func (s *Server) Posts() []Post {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Post(nil), s.posts...)
}

// Updates returns the accepted chat.update calls, in order.
func (s *Server) Updates() []Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Update(nil), s.updates...)
}

// Creates returns the names conversations.create was asked for, in order.
func (s *Server) Creates() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.creates...)
}

// ChannelID returns the id of channel "#name", if it exists.
func (s *Server) ChannelID(channel string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.channelID(channel)
}

// Received renders each post as text, for the notify conformance suite.
func (s *Server) Received() []string {
	var out []string
	for _, p := range s.Posts() {
		blocks, _ := json.Marshal(p.Blocks)
		out = append(out, "channel="+p.Channel+"\ntext="+p.Text+"\nblocks="+string(blocks))
	}
	return out
}
