package store

import "time"

// Event is one entry of the journal: something that happened, with who, what, when.
// The journal is the audit log, the incident timeline and the post-mortem's source.
type Event struct {
	ID   int64     `json:"id"`
	Time time.Time `json:"time"`
	// Kind is dotted, subject first: run.started, step.finished, artifact.built,
	// deploy.finished, rollout.step, rollout.verdict, rollout.rolledback, incident.opened.
	Kind    string `json:"kind"`
	Service string `json:"service,omitempty"`
	Env     string `json:"env,omitempty"`
	Version string `json:"version,omitempty"`
	Digest  string `json:"digest,omitempty"`
	// Run, Rollout and Incident link the event to what it belongs to.
	Run      string `json:"run,omitempty"`
	Rollout  string `json:"rollout,omitempty"`
	Incident string `json:"incident,omitempty"`
	// Message is one human line.
	Message string `json:"message"`
	// Data holds the values behind the event (metrics, thresholds, commits).
	Data map[string]any `json:"data,omitempty"`
	// Actor is who caused the event and through which door (cli, api, git);
	// filled from the context when empty (see WithActor).
	Actor string `json:"actor,omitempty"`
	Via   string `json:"via,omitempty"`
}
