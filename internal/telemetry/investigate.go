package telemetry

import (
	"context"
	"fmt"
	"time"

	"github.com/slipway/slipway/internal/incident"
)

var _ incident.Investigator = (*Store)(nil)

// Investigate gathers what the kept traces say about version's failures in env
// between from and to: the route with the most errors, its first failing request
// with its spans, and the feature-flag variants the version evaluated with their
// errors. ok is false when no request of that version was kept in the window.
func (s *Store) Investigate(ctx context.Context, service, env, version string, from, to time.Time) (incident.Evidence, bool, error) {
	f := Filter{Service: service, Env: env, Version: version, From: from, To: to}
	routes, err := s.Routes(ctx, f)
	if err != nil || len(routes) == 0 {
		return incident.Evidence{}, false, err
	}
	top := routes[0] // the most errors, then the most requests
	ev := incident.Evidence{Route: top.Route, Requests: top.Requests, Errors: top.Errors}
	if top.Errors > 0 {
		f.Route, f.Errors = top.Route, true
		failed, err := s.firstFailure(ctx, f)
		if err != nil {
			return ev, false, err
		}
		if failed != nil {
			ev.TraceID, ev.Error = failed.TraceID, failed.Message
			spans, err := s.Trace(ctx, failed.TraceID)
			if err != nil {
				return ev, false, err
			}
			for _, sp := range spans {
				ev.Spans = append(ev.Spans, fmt.Sprintf("%s (%s)", sp.Name, roundDuration(sp.Duration())))
			}
		}
	}
	flags, err := s.Flags(ctx, Filter{Service: service, Env: env, Version: version, From: from, To: to})
	if err != nil {
		return ev, false, err
	}
	for _, fl := range flags {
		ev.Flags = append(ev.Flags, incident.FlagCorrelation{Flag: fl.Flag, Variant: fl.Variant, Requests: fl.Requests, Errors: fl.Errors})
	}
	return ev, true, nil
}

// firstFailure is the earliest request f selects, nil when none.
func (s *Store) firstFailure(ctx context.Context, f Filter) (*Span, error) {
	w, args := f.where()
	rows, err := s.db.QueryContext(ctx, `SELECT `+spanColumns+` FROM spans s WHERE `+w+` ORDER BY s.start_ns LIMIT 1`, args...)
	if err != nil {
		return nil, fmt.Errorf("first failed request: %w", err)
	}
	spans, err := scanSpans(rows)
	if err != nil || len(spans) == 0 {
		return nil, err
	}
	return &spans[0], nil
}

// roundDuration keeps durations readable: whole microseconds under 1ms, tenths of
// a millisecond under 1s, milliseconds beyond.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond)
	case d < time.Second:
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Millisecond)
}
