package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// narrator prints the control plane's log as the story's running commentary: one
// line a record, its message and the attributes that matter to a reader.
type narrator struct {
	mu    *sync.Mutex
	muted *bool // under mu
	out   io.Writer
	attrs []slog.Attr
}

func newNarrator(out io.Writer) *narrator {
	return &narrator{mu: &sync.Mutex{}, muted: new(bool), out: out}
}

// mute ends the commentary: the story is told.
func (n *narrator) mute() {
	n.mu.Lock()
	*n.muted = true
	n.mu.Unlock()
}

// shown are the attributes printed after a message, in this order.
var shown = []string{"branch", "commit", "version", "env", "outcome", "reason", "run", "url", "err", "why"}

func (n *narrator) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (n *narrator) Handle(_ context.Context, r slog.Record) error {
	vals := map[string]string{}
	collect := func(a slog.Attr) bool {
		if v := a.Value.String(); v != "" {
			vals[a.Key] = v
		}
		return true
	}
	for _, a := range n.attrs {
		collect(a)
	}
	r.Attrs(collect)
	var b strings.Builder
	if r.Level >= slog.LevelWarn {
		b.WriteString(strings.ToLower(r.Level.String()) + ": ")
	}
	b.WriteString(r.Message)
	for _, k := range shown {
		if v, ok := vals[k]; ok && !strings.Contains(r.Message, v) {
			fmt.Fprintf(&b, " %s=%s", k, v)
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if *n.muted {
		return nil
	}
	_, err := fmt.Fprintln(n.out, b.String())
	return err
}

func (n *narrator) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *n
	c.attrs = append(append([]slog.Attr{}, n.attrs...), attrs...)
	return &c
}

func (n *narrator) WithGroup(string) slog.Handler { return n }
