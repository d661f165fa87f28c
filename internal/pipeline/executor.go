package pipeline

import (
	"context"
	"io"
)

// Executor runs the command of one step somewhere: a local process, a Kubernetes Job.
//
// Lifecycle: Exec is called once per step run and returns when the command has
// finished and everything it started is gone. Concurrency: the Runner calls Exec from
// several goroutines at once, one per running step; an implementation must be safe
// for that and must not share state between tasks.
//
// Exec returns the command's exit code. A command that ran and failed is not an error:
// it is a non-zero exit code with a nil error. The error is for a command that could
// not run (missing directory, no shell) or was stopped because ctx ended; then the
// exit code is -1 and the error wraps ctx.Err() when ctx is the cause.
//
// When ctx is cancelled or its deadline passes, Exec stops the command and every
// process it started before returning.
type Executor interface {
	Exec(ctx context.Context, t Task) (exitCode int, err error)
}

// Task is one command to execute.
type Task struct {
	// Dir is the working directory; it must exist.
	Dir string
	// Command is a shell command line, run by /bin/sh -c.
	Command string
	// Env is added to the executor's own environment ("KEY=value"); later entries win.
	Env []string
	// Output receives stdout and stderr, interleaved as written. Nil discards them.
	Output io.Writer
}
