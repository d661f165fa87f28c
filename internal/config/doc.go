// Package config reads, defaults and validates a service's slipway.yaml.
//
// [Load] and [Parse] decode the file strictly (an unknown field is an error), fill in
// the documented defaults and validate the result. Every problem is reported at once,
// each with the file, line and column of the offending node, as an [*Error]:
//
//	slipway.yaml:14:9: environments[2].rollout.steps: steps must increase and end at 100 (got [5 25 50])
//
// [Schema] returns a JSON Schema generated from the Go types, so editors can complete
// and check slipway.yaml as it is written. [Notices] lists what a valid file holds but
// Slipway does not act on yet (a pr pipeline), located the same way.
//
// [Init] writes a first, commented slipway.yaml for a repository: it finds the Go main
// package and the health route, or takes a build command for any other language.
package config
