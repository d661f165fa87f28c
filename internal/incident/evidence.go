package incident

import (
	"context"
	"time"
)

// Evidence is what the kept traces show about one version's failures in a time
// window: the route that failed most, one failing request with its spans, and how
// feature-flag variants correlate with the errors.
type Evidence struct {
	// Route is the failing route, "POST /v1/contracts/validate".
	Route string `json:"route"`
	// Requests and Errors count the route's requests on the version in the window.
	Requests int `json:"requests"`
	Errors   int `json:"errors"`
	// TraceID names one failing request; Error is its error or status.
	TraceID string `json:"trace_id,omitempty"`
	Error   string `json:"error,omitempty"`
	// Spans are that request's spans in start order, "name (12ms)".
	Spans []string `json:"spans,omitempty"`
	// Flags are the feature-flag variants the version evaluated, with their errors.
	Flags []FlagCorrelation `json:"flags,omitempty"`
}

// FlagCorrelation counts the requests that evaluated one flag variant and how many
// of them failed.
type FlagCorrelation struct {
	Flag     string `json:"flag"`
	Variant  string `json:"variant"`
	Requests int    `json:"requests"`
	Errors   int    `json:"errors"`
}

// Investigator finds the evidence for a version's failures between from and to.
// ok is false when nothing was kept for that version and window.
type Investigator interface {
	Investigate(ctx context.Context, service, env, version string, from, to time.Time) (ev Evidence, ok bool, err error)
}
