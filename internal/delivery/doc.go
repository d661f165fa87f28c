// Package delivery is the flow from a git push to production: it runs the pipeline a
// branch calls for, turns a green main into a versioned, signed artifact with release
// notes, and carries that one artifact through the environments in order - opening an
// incident when production rolls it back.
//
// It is the engine behind both a user's service and the story demo: the same calls,
// with the timings the service's slipway.yaml sets.
package delivery
