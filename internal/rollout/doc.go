// Package rollout moves one environment from a stable version to a candidate, step by
// step, judged by analysis, and ends promoted or rolled back.
//
// A Rollout is a persisted state machine. Reconcile is one idempotent pass over it:
// it applies the desired weights to the router, reads the candidate's traffic, asks
// analysis.Judge, and records the decision. Every transition is written to the store
// before its side effect (a weight change) counts as done, so a control plane killed at
// any point resumes from the store and converges; the router keeps serving the last
// weights it was given meanwhile.
package rollout
