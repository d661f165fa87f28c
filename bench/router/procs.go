package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// procs starts the benchmark's processes and stops every one of them: each runs in
// its own process group (nginx's workers included), dies with the benchmark if the
// benchmark is killed, and is stopped by stopAll otherwise.
type procs struct {
	dir string // logs go to dir/<name>.log

	mu   sync.Mutex
	list []*proc
}

type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done is closed
}

// start runs name (a label for logs) as path with args; stderr goes to a log file and
// the returned reader carries stdout, which the caller must drain or leave unused.
func (ps *procs) start(name string, env []string, path string, args ...string) (*proc, *bufio.Reader, error) {
	logf, err := os.Create(filepath.Join(ps.dir, name+".log"))
	if err != nil {
		return nil, nil, fmt.Errorf("start %s: %w", name, err)
	}
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: deathSignal(name)}
	// An *os.File pipe rather than StdoutPipe: Wait does not close it under a reader.
	out, w, err := os.Pipe()
	if err != nil {
		logf.Close()
		return nil, nil, fmt.Errorf("start %s: %w", name, err)
	}
	cmd.Stdout = w
	err = cmd.Start()
	w.Close()
	if err != nil {
		out.Close()
		logf.Close()
		return nil, nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	ps.mu.Lock()
	ps.list = append(ps.list, p)
	ps.mu.Unlock()
	r := bufio.NewReader(out)
	go func() {
		p.err = cmd.Wait()
		logf.Close()
		out.Close()
		close(p.done)
	}()
	return p, r, nil
}

// deathSignal is what a process gets when the benchmark dies without stopping it:
// SIGKILL, except for nginx, whose master must live long enough to stop its workers.
func deathSignal(name string) syscall.Signal {
	if name == "nginx" {
		return syscall.SIGTERM
	}
	return syscall.SIGKILL
}

// stop ends p's process group: SIGTERM, then SIGKILL after grace.
func (p *proc) stop(grace time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	// nginx workers may outlive their master by a moment; the group goes too.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}

// stopAll stops every process started, last first.
func (ps *procs) stopAll() {
	ps.mu.Lock()
	list := ps.list
	ps.list = nil
	ps.mu.Unlock()
	for i := len(list) - 1; i >= 0; i-- {
		list[i].stop(5 * time.Second)
	}
}

// readJSONLine reads the first line of r as JSON into v, within timeout.
func readJSONLine(p *proc, r *bufio.Reader, timeout time.Duration, v any) error {
	type result struct {
		line []byte
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		line, err := r.ReadBytes('\n')
		ch <- result{line, err}
	}()
	select {
	case res := <-ch:
		if res.err != nil {
			return fmt.Errorf("%s ready line: %w (see %s.log)", p.name, res.err, p.name)
		}
		if err := json.Unmarshal(res.line, v); err != nil {
			return fmt.Errorf("%s ready line %q: %w", p.name, res.line, err)
		}
		return nil
	case <-time.After(timeout):
		return fmt.Errorf("%s: no ready line after %s (see %s.log)", p.name, timeout, p.name)
	}
}

// waitFile polls for path to exist and decodes it as JSON into v, within timeout.
func waitFile(ctx context.Context, p *proc, path string, timeout time.Duration, v any) error {
	deadline := time.Now().Add(timeout)
	for {
		data, err := os.ReadFile(path)
		if err == nil {
			if err := json.Unmarshal(data, v); err != nil {
				return fmt.Errorf("%s ready file %s: %w", p.name, path, err)
			}
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s ready file: %w", p.name, err)
		}
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready: %v (see %s.log)", p.name, p.err, p.name)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no ready file %s after %s (see %s.log)", p.name, path, timeout, p.name)
		}
	}
}

// waitHTTP polls url until it answers 200, within timeout.
func waitHTTP(ctx context.Context, p *proc, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{Proxy: nil}}
	defer c.CloseIdleConnections()
	var last error
	for time.Now().Before(deadline) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
		resp, err := c.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		last = err
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it answered: %v (see %s.log)", p.name, p.err, p.name)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s: %s not answering after %s: %v (see %s.log)", p.name, url, timeout, last, p.name)
}
