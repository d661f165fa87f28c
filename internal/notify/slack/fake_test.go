package slack_test

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

const token = "xoxb-1111-2222-secretpart"

// post is one chat.postMessage call the fake accepted.
type post struct {
	Channel string
	Text    string
	Blocks  []map[string]any
}

// fakeSlack is a Slack Web API stand-in that checks the request shapes Slack
// documents for chat.postMessage and conversations.create and answers in Slack's
// JSON shape.
type fakeSlack struct {
	t   *testing.T
	srv *httptest.Server

	mu        sync.Mutex
	channels  map[string]string // name without "#" -> id
	posts     []post
	creates   []string
	rateLimit int // answer 429 to this many next calls
}

var channelName = regexp.MustCompile(`^[a-z0-9_-]{1,80}$`)

func newFakeSlack(t *testing.T, channels ...string) *fakeSlack {
	t.Helper()
	f := &fakeSlack{t: t, channels: map[string]string{}}
	for _, c := range channels {
		f.channels[strings.TrimPrefix(c, "#")] = fmt.Sprintf("C%04d", len(f.channels)+1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/chat.postMessage", f.handle(f.postMessage))
	mux.HandleFunc("/api/conversations.create", f.handle(f.createConversation))
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeSlack) url() string { return f.srv.URL + "/api/" }

// handle checks what every Web API call must carry.
func (f *fakeSlack) handle(method func(r *http.Request) map[string]any) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		limited := f.rateLimit > 0
		if limited {
			f.rateLimit--
		}
		f.mu.Unlock()
		if limited {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		var answer map[string]any
		switch {
		case r.Method != http.MethodPost:
			f.t.Errorf("%s %s, Slack wants POST", r.Method, r.URL.Path)
			answer = map[string]any{"ok": false, "error": "invalid_request"}
		case r.Header.Get("Authorization") != "Bearer "+token:
			f.t.Errorf("Authorization = %q, want Bearer token", r.Header.Get("Authorization"))
			answer = map[string]any{"ok": false, "error": "not_authed"}
		case !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
			f.t.Errorf("Content-Type = %q, want a form", r.Header.Get("Content-Type"))
			answer = map[string]any{"ok": false, "error": "invalid_form_data"}
		default:
			if err := r.ParseForm(); err != nil {
				f.t.Errorf("parse form: %v", err)
			}
			if r.PostForm.Has("token") {
				f.t.Errorf("token sent in the body of %s; it belongs in the Authorization header", r.URL.Path)
			}
			answer = method(r)
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if err := json.NewEncoder(w).Encode(answer); err != nil {
			f.t.Errorf("encode answer: %v", err)
		}
	}
}

func (f *fakeSlack) postMessage(r *http.Request) map[string]any {
	channel, text := r.PostForm.Get("channel"), r.PostForm.Get("text")
	if channel == "" {
		return map[string]any{"ok": false, "error": "channel_not_found"}
	}
	if text == "" && r.PostForm.Get("blocks") == "" {
		return map[string]any{"ok": false, "error": "no_text"}
	}
	var blocks []map[string]any
	if raw := r.PostForm.Get("blocks"); raw != "" {
		if err := json.Unmarshal([]byte(raw), &blocks); err != nil {
			return map[string]any{"ok": false, "error": "invalid_blocks"}
		}
		for _, b := range blocks {
			if b["type"] == nil {
				return map[string]any{"ok": false, "error": "invalid_blocks"}
			}
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	id, known := "", false
	if name, ok := strings.CutPrefix(channel, "#"); ok {
		id, known = f.channels[name]
	} else {
		for _, cid := range f.channels {
			if cid == channel {
				id, known = cid, true
			}
		}
	}
	if !known {
		return map[string]any{"ok": false, "error": "channel_not_found"}
	}
	f.posts = append(f.posts, post{Channel: channel, Text: text, Blocks: blocks})
	return map[string]any{"ok": true, "channel": id, "ts": fmt.Sprintf("1764151680.%06d", len(f.posts)),
		"message": map[string]any{"text": text}}
}

func (f *fakeSlack) createConversation(r *http.Request) map[string]any {
	name := r.PostForm.Get("name")
	if !channelName.MatchString(name) {
		return map[string]any{"ok": false, "error": "invalid_name"}
	}
	if p := r.PostForm.Get("is_private"); p != "" && p != "false" && p != "true" {
		return map[string]any{"ok": false, "error": "invalid_arguments"}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creates = append(f.creates, name)
	if _, taken := f.channels[name]; taken {
		return map[string]any{"ok": false, "error": "name_taken"}
	}
	id := fmt.Sprintf("C%04d", len(f.channels)+1)
	f.channels[name] = id
	return map[string]any{"ok": true, "channel": map[string]any{"id": id, "name": name, "is_channel": true}}
}

func (f *fakeSlack) seenPosts() []post {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]post(nil), f.posts...)
}

func (f *fakeSlack) seenCreates() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.creates...)
}

// received renders each post as text for the conformance suite.
func (f *fakeSlack) received() []string {
	var out []string
	for _, p := range f.seenPosts() {
		blocks, _ := json.Marshal(p.Blocks)
		out = append(out, "channel="+p.Channel+"\ntext="+p.Text+"\nblocks="+string(blocks))
	}
	return out
}
