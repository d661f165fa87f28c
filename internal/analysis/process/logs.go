package process

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// maxLine is the longest line kept whole; a longer one is judged by its first
// maxLine bytes.
const maxLine = 64 << 10

// logCounter counts one log file's critical lines incrementally: each call reads only
// what was appended since the last one.
type logCounter struct {
	mu     sync.Mutex
	dev    uint64
	ino    uint64
	offset int64
	// count is cumulative across truncations and replacements of the file.
	count float64
	// skipping is set while inside an over-long line already counted.
	skipping bool
}

// read brings the count up to date with the file at path and returns it.
func (c *logCounter) read(path string) (float64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && (uint64(st.Dev) != c.dev || st.Ino != c.ino) {
		// A new file under the same name (rotated or recreated): start it over.
		c.dev, c.ino, c.offset, c.skipping = uint64(st.Dev), st.Ino, 0, false
	}
	if fi.Size() < c.offset { // truncated
		c.offset, c.skipping = 0, false
	}
	if _, err := f.Seek(c.offset, io.SeekStart); err != nil {
		return 0, err
	}
	buf := make([]byte, 0, 64<<10)
	chunk := make([]byte, 64<<10)
	for {
		n, err := f.Read(chunk)
		buf = append(buf, chunk[:n]...)
		used := c.consume(buf)
		buf = append(buf[:0], buf[used:]...)
		if errors.Is(err, io.EOF) {
			return c.count, nil
		}
		if err != nil {
			return 0, err
		}
	}
}

// consume counts the complete lines at the start of buf, advances the offset past
// them and returns how many bytes it used; the rest is an incomplete line.
func (c *logCounter) consume(buf []byte) int {
	used := 0
	for {
		i := bytes.IndexByte(buf, '\n')
		if i < 0 {
			break
		}
		if !c.skipping && critical(buf[:i]) {
			c.count++
		}
		c.skipping = false
		c.offset += int64(i + 1)
		used += i + 1
		buf = buf[i+1:]
	}
	if len(buf) >= maxLine { // an over-long line: judge its head, skip its tail
		if !c.skipping && critical(buf[:maxLine]) {
			c.count++
		}
		c.skipping = true
		c.offset += int64(len(buf))
		used += len(buf)
	}
	return used
}

// critical reports a log line at error level or above: a JSON object whose "level",
// "severity" or "lvl" is error, critical, fatal, panic, alert or emergency (slog's
// "ERROR+4" too, and bunyan/pino's numbers >= 50); a logfmt line with such a level=
// or lvl=; or a Go runtime "panic: " or "fatal error: " line.
func critical(line []byte) bool {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return false
	}
	if line[0] == '{' {
		return criticalJSON(line)
	}
	if bytes.HasPrefix(line, []byte("panic: ")) || bytes.HasPrefix(line, []byte("fatal error: ")) {
		return true
	}
	for _, key := range [][]byte{[]byte("level="), []byte("lvl=")} {
		for rest := line; ; {
			i := bytes.Index(rest, key)
			if i < 0 {
				break
			}
			at := len(line) - len(rest) + i
			rest = rest[i+len(key):]
			if at > 0 && line[at-1] != ' ' && line[at-1] != '\t' {
				continue // part of another key, like "loglevel="
			}
			v := rest
			if j := bytes.IndexAny(v, " \t"); j >= 0 {
				v = v[:j]
			}
			return severeName(strings.Trim(string(v), `"`))
		}
	}
	return false
}

// jsonLevel holds the level fields of a structured line.
type jsonLevel struct {
	Level    json.RawMessage `json:"level"`
	Severity json.RawMessage `json:"severity"`
	Lvl      json.RawMessage `json:"lvl"`
}

func criticalJSON(line []byte) bool {
	decided, severe := false, false
	for _, key := range levelKeys {
		v, ok := jsonValue(line, key)
		if !ok {
			continue
		}
		decided = true
		if severeValue(v) {
			severe = true
		}
	}
	if decided {
		return severe
	}
	if !bytes.Contains(line, []byte(`"level"`)) && !bytes.Contains(line, []byte(`"severity"`)) &&
		!bytes.Contains(line, []byte(`"lvl"`)) {
		return false
	}
	// An escaped or unusual level: decode the line properly.
	var l jsonLevel
	if err := json.Unmarshal(line, &l); err != nil {
		return false // not one JSON object (or cut at maxLine): not a structured line
	}
	return severeValue(l.Level) || severeValue(l.Severity) || severeValue(l.Lvl)
}

var levelKeys = [][]byte{[]byte(`"level"`), []byte(`"severity"`), []byte(`"lvl"`)}

// jsonValue finds the plain value of key ("level" with its quotes) in a JSON line
// without decoding it: a string without escapes or a number, after the key's first
// occurrence that is followed by a colon. ok is false when there is none, or when
// the value needs a real decoder.
func jsonValue(line, key []byte) (json.RawMessage, bool) {
	for rest := line; ; {
		i := bytes.Index(rest, key)
		if i < 0 {
			return nil, false
		}
		if i > 0 && rest[i-1] == '\\' {
			return nil, false // inside an escaped string: let the decoder judge
		}
		after := bytes.TrimLeft(rest[i+len(key):], " \t")
		rest = rest[i+len(key):]
		if len(after) == 0 || after[0] != ':' {
			continue // the word as a value, not a key
		}
		v := bytes.TrimLeft(after[1:], " \t")
		if len(v) > 0 && v[0] == '"' {
			end := bytes.IndexByte(v[1:], '"')
			if end < 0 || bytes.IndexByte(v[1:end+1], '\\') >= 0 {
				return nil, false
			}
			return v[:end+2], true
		}
		end := bytes.IndexAny(v, ",} \t")
		if end <= 0 {
			return nil, false
		}
		return v[:end], true
	}
}

// severeValue judges a raw JSON level: a severe name, or a number >= 50 (bunyan and
// pino: 50 error, 60 fatal).
func severeValue(raw json.RawMessage) bool {
	if len(raw) == 0 {
		return false
	}
	if raw[0] == '"' {
		if len(raw) >= 2 && raw[len(raw)-1] == '"' && bytes.IndexByte(raw, '\\') < 0 {
			return severeName(string(raw[1 : len(raw)-1]))
		}
		var s string
		return json.Unmarshal(raw, &s) == nil && severeName(s)
	}
	n, err := strconv.ParseFloat(string(raw), 64)
	return err == nil && n >= 50
}

// severeName reports a level name at error or above, ignoring case and slog's
// "+n" offsets ("ERROR+4" is above error).
func severeName(s string) bool {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '+'); i > 0 {
		s = s[:i]
	}
	for _, name := range severeNames {
		if strings.EqualFold(s, name) {
			return true
		}
	}
	return false
}

var severeNames = []string{"ERROR", "ERR", "CRITICAL", "CRIT", "FATAL", "PANIC", "DPANIC", "ALERT", "EMERGENCY", "EMERG", "SEVERE"}

// logErrors returns the cumulative critical line count of the file at path.
func (p *Provider) logErrors(path string) (float64, error) {
	p.mu.Lock()
	c := p.logs[path]
	if c == nil {
		c = &logCounter{}
		p.logs[path] = c
	}
	p.mu.Unlock()
	n, err := c.read(path)
	if err != nil {
		return 0, fmt.Errorf("count error lines in %s: %w", path, err)
	}
	return n, nil
}
