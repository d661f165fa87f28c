// Package deploy puts an artifact into an environment: it verifies and extracts the
// artifact, starts the new version's instances (the environment's replicas) next to
// the old ones, smoke-tests them, then moves traffic - at once, or as a canary
// rollout judged by analysis where the environment has a rollout strategy. It
// records who runs what in the store, and keeps the previous version warm after a
// promotion so that a late rollback is instant.
//
// Every running instance is on a record: the deployment's current, warm or pending
// version, or its retired instances until they are stopped. A digest rolled back
// in an environment is quarantined there until someone clears it with a reason.
// StopAll and Restore stop every recorded instance and bring them back (slipway
// down and up).
package deploy
