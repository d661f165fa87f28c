// Package executortest is the conformance suite for pipeline.Executor
// implementations: every executor runs it from its own tests with Run.
package executortest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/pipeline"
)

// Run checks that the executors made by newExecutor honour the pipeline.Executor
// contract: exit codes, environment, working directory, combined output, concurrent
// use, and that cancellation stops the command and every process it started.
// The commands need a POSIX shell with sleep, printf and pwd.
func Run(t *testing.T, newExecutor func(t *testing.T) pipeline.Executor) {
	t.Run("ExitCodes", func(t *testing.T) { testExitCodes(t, newExecutor(t)) })
	t.Run("Env", func(t *testing.T) { testEnv(t, newExecutor(t)) })
	t.Run("Dir", func(t *testing.T) { testDir(t, newExecutor(t)) })
	t.Run("Output", func(t *testing.T) { testOutput(t, newExecutor(t)) })
	t.Run("MissingDir", func(t *testing.T) { testMissingDir(t, newExecutor(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, newExecutor(t)) })
	t.Run("CancelKillsChildren", func(t *testing.T) { testCancel(t, newExecutor(t)) })
	t.Run("DeadlineKillsChildren", func(t *testing.T) { testDeadline(t, newExecutor(t)) })
}

// syncBuffer is a bytes.Buffer safe for the executor's writers and the test's reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testExitCodes(t *testing.T, e pipeline.Executor) {
	tests := []struct {
		command string
		want    int
	}{
		{"true", 0},
		{"exit 0", 0},
		{"false", 1},
		{"exit 3", 3},
		{"echo hi; exit 42", 42},
		{"no-such-command-slipway", 127},
	}
	for _, tt := range tests {
		got, err := e.Exec(context.Background(), pipeline.Task{Dir: t.TempDir(), Command: tt.command})
		if err != nil {
			t.Errorf("Exec(%q) error = %v, want nil (a failing command is an exit code, not an error)", tt.command, err)
		}
		if got != tt.want {
			t.Errorf("Exec(%q) = %d, want %d", tt.command, got, tt.want)
		}
	}
}

func testEnv(t *testing.T, e pipeline.Executor) {
	var out syncBuffer
	code, err := e.Exec(context.Background(), pipeline.Task{
		Dir:     t.TempDir(),
		Command: `printf '%s|%s|%s' "$SLIPWAY_A" "$SLIPWAY_B" "$(command -v sh >/dev/null && echo path-ok)"`,
		Env:     []string{"SLIPWAY_A=one", "SLIPWAY_B=first", "SLIPWAY_B=two words"},
		Output:  &out,
	})
	if err != nil || code != 0 {
		t.Fatalf("Exec = %d, %v", code, err)
	}
	if got, want := out.String(), "one|two words|path-ok"; got != want {
		t.Errorf("env output = %q, want %q (task env added to the inherited one, later entries win)", got, want)
	}
}

func testDir(t *testing.T, e pipeline.Executor) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "marker.txt"), []byte("here"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	code, err := e.Exec(context.Background(), pipeline.Task{Dir: dir, Command: "cat marker.txt", Output: &out})
	if err != nil || code != 0 {
		t.Fatalf("Exec = %d, %v", code, err)
	}
	if out.String() != "here" {
		t.Errorf("cat marker.txt in Dir printed %q, want %q", out.String(), "here")
	}
}

func testOutput(t *testing.T, e pipeline.Executor) {
	var out syncBuffer
	code, err := e.Exec(context.Background(), pipeline.Task{
		Dir:     t.TempDir(),
		Command: "echo to-stdout; echo to-stderr >&2; exit 2",
		Output:  &out,
	})
	if err != nil || code != 2 {
		t.Fatalf("Exec = %d, %v; want 2, nil", code, err)
	}
	if got, want := out.String(), "to-stdout\nto-stderr\n"; got != want {
		t.Errorf("output = %q, want %q", got, want)
	}
	// Nil output is allowed.
	if code, err := e.Exec(context.Background(), pipeline.Task{Dir: t.TempDir(), Command: "echo ignored"}); err != nil || code != 0 {
		t.Errorf("Exec with nil Output = %d, %v", code, err)
	}
}

func testMissingDir(t *testing.T, e pipeline.Executor) {
	dir := filepath.Join(t.TempDir(), "does-not-exist")
	code, err := e.Exec(context.Background(), pipeline.Task{Dir: dir, Command: "true"})
	if err == nil {
		t.Errorf("Exec in a missing directory = %d, nil; want an error", code)
	}
}

func testConcurrent(t *testing.T, e pipeline.Executor) {
	var wg sync.WaitGroup
	outs := make([]syncBuffer, 4)
	codes := make([]int, len(outs))
	for i := range outs {
		wg.Go(func() {
			codes[i], _ = e.Exec(context.Background(), pipeline.Task{
				Dir: t.TempDir(), Command: "printf %s \"$N\"; exit $N",
				Env: []string{"N=" + strconv.Itoa(i)}, Output: &outs[i],
			})
		})
	}
	wg.Wait()
	for i := range outs {
		if codes[i] != i || outs[i].String() != strconv.Itoa(i) {
			t.Errorf("task %d: exit %d, output %q; want %d, %q", i, codes[i], outs[i].String(), i, strconv.Itoa(i))
		}
	}
}

// startTree runs a command that starts a background grandchild, waits until the
// grandchild has written its pid, then calls stop and checks that Exec returns and
// the grandchild is gone.
func startTree(t *testing.T, e pipeline.Executor, ctx context.Context, stop func()) {
	t.Helper()
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child.pid")
	type result struct {
		code int
		err  error
	}
	res := make(chan result, 1)
	go func() {
		code, err := e.Exec(ctx, pipeline.Task{
			Dir: dir,
			// The child is a subshell running sleep; the shell waits for it.
			Command: `sh -c 'echo $$ > child.pid.tmp && mv child.pid.tmp child.pid && exec sleep 300' & wait`,
		})
		res <- result{code, err}
	}()
	var pid int
	waitFor(t, 10*time.Second, "the child to write its pid", func() bool {
		b, err := os.ReadFile(pidFile)
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	stop()
	select {
	case r := <-res:
		if r.err == nil {
			t.Errorf("Exec after cancellation = %d, nil; want an error", r.code)
		} else if !errors.Is(r.err, context.Canceled) && !errors.Is(r.err, context.DeadlineExceeded) {
			t.Errorf("Exec after cancellation error = %v, want it to wrap the context's error", r.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Exec did not return within 20s of cancellation")
	}
	waitFor(t, 10*time.Second, "the grandchild to be killed", func() bool { return !alive(pid) })
}

func testCancel(t *testing.T, e pipeline.Executor) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startTree(t, e, ctx, cancel)
}

func testDeadline(t *testing.T, e pipeline.Executor) {
	// The deadline is far enough away for the tree to start, then passes on its own.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	startTree(t, e, ctx, func() {})
}

// alive reports whether pid runs (zombies count as gone: they only wait to be reaped).
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return !os.IsNotExist(err)
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
