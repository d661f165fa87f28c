package analysis

import (
	"context"
	"time"
)

// Provider reads the cumulative per-version request series of one service in one
// environment. Counters only grow (until the data plane restarts); judges work on the
// difference between two reads.
//
// Implementations are safe for concurrent use. Query returns an error when the source
// cannot be read; a version with no traffic yet is a zero Series, not an error.
type Provider interface {
	Query(ctx context.Context, q Query) (Series, error)
}

// Query selects one version's series.
type Query struct {
	Service string
	Env     string
	Version string
	// Track is empty for the version's own instances, or TrackBaseline for the
	// fresh instances of the stable version a rollout starts beside its candidate:
	// same version, counted apart.
	Track string
}

// TrackBaseline selects a rollout's baseline instances (see Query.Track).
const TrackBaseline = "baseline"

// BatchProvider is a Provider that reads several series at one moment, from one
// scrape, so that versions compared with each other cover exactly the same time.
type BatchProvider interface {
	Provider
	// QueryAll returns one Series per query, in order.
	QueryAll(ctx context.Context, qs []Query) ([]Series, error)
}

// QueryAll reads every query from p: in one read when p is a BatchProvider,
// otherwise one query after the other.
func QueryAll(ctx context.Context, p Provider, qs ...Query) ([]Series, error) {
	if b, ok := p.(BatchProvider); ok {
		return b.QueryAll(ctx, qs)
	}
	out := make([]Series, len(qs))
	for i, q := range qs {
		s, err := p.Query(ctx, q)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

// Series is a cumulative read of one version's traffic at one moment.
type Series struct {
	Version string
	At      time.Time
	// Window is the time a difference of two reads covers (set by Sub).
	Window time.Duration
	// Requests is every response counted; Errors those with status >= 500.
	Requests float64
	Errors   float64
	// Latency is the cumulative latency histogram over all routes.
	Latency Histogram
	// Routes breaks requests and errors down by route.
	Routes map[string]RouteCounts
	// CPUSeconds is the CPU time the version's instances used, cumulative; MemoryBytes
	// their resident memory now (a gauge). Zero when the provider does not know.
	CPUSeconds  float64
	MemoryBytes float64
	// LogErrors counts the version's log lines at error level or above, cumulative.
	LogErrors float64
}

// RouteCounts are one route's cumulative counts.
type RouteCounts struct {
	Requests float64
	Errors   float64
}

// Histogram is a cumulative histogram: Counts[i] observations were <= Bounds[i] seconds.
// Count includes the +Inf bucket.
type Histogram struct {
	Bounds []float64
	Counts []float64
	Count  float64
	Sum    float64
}
