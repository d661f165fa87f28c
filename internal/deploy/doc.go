// Package deploy puts an artifact into an environment: it verifies and extracts the
// artifact, starts the new version next to the old one, smoke-tests it, then moves
// traffic - at once, or as a canary rollout judged by analysis where the environment
// has a rollout strategy. It records who runs what in the store, and keeps the previous
// version warm after a promotion so that a late rollback is instant.
package deploy
