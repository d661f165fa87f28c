// Package demo plays the day of STORY.md on one machine, for real: it creates the
// contract-api repository with its history, runs the branch, main and hotfix
// pipelines, builds and signs the artifacts, deploys them through dev and staging,
// and rolls them out in production behind Slipway's router while simulated users send
// traffic - driving the same delivery engine a user's own service runs on.
package demo
