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
	// Health is the HTTP path Alive probes (the Spec's). Empty means /healthz.
	Health string `json:"health,omitempty"`
	// Boot tells the process behind PID from a later one that reuses its number:
	// for local processes, its start time in clock ticks since boot. Zero when
	// unknown (records written before it existed); then only PID is checked.
	Boot uint64 `json:"boot,omitempty"`
}

// DefaultHealth is the health path of an Instance that names none.
const DefaultHealth = "/healthz"

// HealthURL is where Alive probes the instance: URL plus Health (or DefaultHealth).
func (in Instance) HealthURL() string {
	if in.Health == "" {
		return in.URL + DefaultHealth
	}
	return in.URL + in.Health
}

// Target runs instances.
//
// Lifecycle: Start returns once the instance answers its health check (or fails and
// leaves nothing running); the instance then serves until Stop, which drains it
// (graceful termination, then a kill after a grace period). Instances outlive the
// process that started them: a restarted control plane can Stop an Instance it
// read back from the store. An Instance whose process has gone is never confused
// with a later process that reuses its PID: Stop leaves that one alone and Alive
// reports false. A Target is safe for concurrent use.
type Target interface {
	Start(ctx context.Context, s Spec) (Instance, error)
	Stop(ctx context.Context, in Instance) error
	// Alive reports whether the instance's own process still runs and answers on
	// its health path (Instance.HealthURL).
	Alive(ctx context.Context, in Instance) bool
}
