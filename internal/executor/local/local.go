// Package local runs pipeline steps as processes on this machine: /bin/sh -c in its
// own process group, so that cancelling a step stops everything the step started.
package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"github.com/slipway/slipway/internal/pipeline"
)

var _ pipeline.Executor = (*Executor)(nil)

// Shell is the interpreter of task commands.
const Shell = "/bin/sh"

// outputGrace is how long Exec keeps reading output after the process group is gone,
// in case a process that left the group still holds the output open.
const outputGrace = 2 * time.Second

// Executor runs tasks as local processes. The zero value is ready to use and safe for
// concurrent use.
type Executor struct{}

// Exec runs t.Command with /bin/sh -c in t.Dir, with the current process environment
// plus t.Env. The shell leads a new process group; when ctx ends the whole group is
// killed, and when the shell exits any process it left behind is killed as well, so
// a step never outlives its Exec call.
func (e *Executor) Exec(ctx context.Context, t pipeline.Task) (int, error) {
	if err := ctx.Err(); err != nil {
		return -1, fmt.Errorf("run %q: %w", t.Command, err)
	}
	if fi, err := os.Stat(t.Dir); err != nil || !fi.IsDir() {
		return -1, fmt.Errorf("run %q: working directory %q does not exist or is not a directory", t.Command, t.Dir)
	}
	out := t.Output
	if out == nil {
		out = io.Discard
	}
	// The command writes to a pipe of our own rather than to out directly, so Wait
	// returns as soon as the shell exits even if something it started still holds
	// the pipe open; that something is then killed with the group.
	pr, pw, err := os.Pipe()
	if err != nil {
		return -1, fmt.Errorf("run %q: output pipe: %w", t.Command, err)
	}
	defer pr.Close()
	cmd := exec.Command(Shell, "-c", t.Command)
	cmd.Dir = t.Dir
	cmd.Env = append(os.Environ(), t.Env...)
	cmd.Stdout = pw
	cmd.Stderr = pw
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	startErr := cmd.Start()
	pw.Close()
	if startErr != nil {
		return -1, fmt.Errorf("run %q in %s: %w", t.Command, t.Dir, startErr)
	}
	pgid := cmd.Process.Pid
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		_, _ = io.Copy(out, pr)
	}()

	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		select {
		case <-ctx.Done():
			killGroup(pgid)
		case <-done:
		}
	}()
	waitErr := cmd.Wait()
	close(done)
	<-stopped
	// The shell is gone; anything it left running in its group goes too.
	killGroup(pgid)
	// Drain what is left in the pipe. A process that escaped the group (setsid)
	// may keep it open: give up on it after a grace period.
	timer := time.NewTimer(outputGrace)
	select {
	case <-copied:
	case <-timer.C:
		pr.Close()
		<-copied
	}
	timer.Stop()

	if ctx.Err() != nil {
		return -1, fmt.Errorf("run %q: stopped: %w", t.Command, ctx.Err())
	}
	if waitErr == nil {
		return 0, nil
	}
	var exit *exec.ExitError
	if errors.As(waitErr, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal()), nil
		}
		return exit.ExitCode(), nil
	}
	return -1, fmt.Errorf("run %q: %w", t.Command, waitErr)
}

// killGroup sends SIGKILL to every process in the group; a group already gone is fine.
func killGroup(pgid int) {
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
}
