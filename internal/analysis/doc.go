// Package analysis judges a canary from measured traffic.
//
// A Provider reads cumulative per-version series (requests, errors, a latency
// histogram). The rollout controller keeps the read taken when a step began and asks
// Judge about the difference: the candidate's own traffic during the step. Judge is a
// pure function; every Verdict carries the values, thresholds and sample sizes behind it.
//
// Analysis fails safe: too little data is Inconclusive, never Pass, and what the
// controller does about a provider it cannot read is an explicit setting.
package analysis
