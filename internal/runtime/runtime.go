// Package runtime defines where a version of a service runs: a Target starts and stops
// instances of a built binary and tells where they answer.
//
// Implementations live in subpackages (local: processes on this machine). Each runs the
// conformance suite in runtimetest.
package runtime

import (
	"context"
	"time"
)

// Spec says what to run.
type Spec struct {
	Service, Env, Version string
	// Binary is the path of the executable extracted from the artifact.
	Binary string
	// Environ adds KEY=VALUE variables to the instance's environment.
	Environ []string
	// Health is the HTTP path that answers 200 once the instance is ready.
	Health string
	// PortEnv names the variable that carries the instance's port (PORT).
	PortEnv string
	// Dir holds the instance's working files and log.
	Dir string
}

// Instance is a running copy of a version.
type Instance struct {
	ID      string    `json:"id"`
	Service string    `json:"service"`
	Env     string    `json:"env"`
	Version string    `json:"version"`
	URL     string    `json:"url"`
	PID     int       `json:"pid,omitempty"`
	Log     string    `json:"log,omitempty"`
	Started time.Time `json:"started"`
}

// Target runs instances.
//
// Lifecycle: Start returns once the instance answers its health check (or fails and
// leaves nothing running); the instance then serves until Stop, which drains it
// (graceful termination, then a kill after a grace period). Instances outlive the
// process that started them: a restarted control plane can Stop an Instance it
// read back from the store. A Target is safe for concurrent use.
type Target interface {
	Start(ctx context.Context, s Spec) (Instance, error)
	Stop(ctx context.Context, in Instance) error
	// Alive reports whether the instance still answers its health check.
	Alive(ctx context.Context, in Instance) bool
}
