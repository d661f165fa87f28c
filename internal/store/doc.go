// Package store keeps Slipway's durable state and its event journal.
//
// Two tables carry everything: events, an append-only journal (the audit log, the
// incident timeline, the post-mortem's source), and records, JSON documents keyed by
// kind and id (runs, artifacts, deployments, rollouts, incidents). The embedded default
// is a single SQLite file; every write is a transaction, so a killed process leaves
// either the old or the new state, never half of one.
package store
