// Package compose merges analysis providers that each know part of a version's
// series into one Provider: for example the router provider (requests, errors,
// latency) and the process provider (CPU, memory, critical log lines).
//
// Parts are queried concurrently and their Series added up field by field, so parts
// should measure different things: two parts that both count the same requests count
// them twice. Any part's error is the Query's error: a partial read never passes for
// a whole one.
package compose

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/slipway/slipway/internal/analysis"
)

var _ analysis.BatchProvider = (*Provider)(nil)

// Provider queries its parts and merges what they return. It is safe for concurrent
// use when its parts are.
type Provider struct {
	parts []analysis.Provider
}

// New returns a Provider over parts; it needs at least one and none may be nil.
func New(parts ...analysis.Provider) (*Provider, error) {
	if len(parts) == 0 {
		return nil, errors.New("compose providers: no parts given")
	}
	for i, p := range parts {
		if p == nil {
			return nil, fmt.Errorf("compose providers: part %d is nil", i)
		}
	}
	return &Provider{parts: slices.Clone(parts)}, nil
}

// Query asks every part for q and returns the sum of their Series, stamped with the
// latest part's time. It fails when any part fails, or when two parts report latency
// histograms with different buckets.
func (p *Provider) Query(ctx context.Context, q analysis.Query) (analysis.Series, error) {
	series := make([]analysis.Series, len(p.parts))
	errs := make([]error, len(p.parts))
	var wg sync.WaitGroup
	for i, part := range p.parts {
		wg.Go(func() {
			series[i], errs[i] = part.Query(ctx, q)
			if errs[i] != nil {
				errs[i] = fmt.Errorf("part %d (%T): %w", i, part, errs[i])
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return analysis.Series{}, fmt.Errorf("compose query %s/%s version %s: %w", q.Service, q.Env, q.Version, err)
	}
	out, err := Merge(series...)
	if err != nil {
		return analysis.Series{}, fmt.Errorf("compose query %s/%s version %s: %w", q.Service, q.Env, q.Version, err)
	}
	out.Version = q.Version
	return out, nil
}

// QueryAll asks every part for all of qs at once (in one read where a part can,
// see analysis.QueryAll) and merges each query's parts as Query does.
func (p *Provider) QueryAll(ctx context.Context, qs []analysis.Query) ([]analysis.Series, error) {
	series := make([][]analysis.Series, len(p.parts))
	errs := make([]error, len(p.parts))
	var wg sync.WaitGroup
	for i, part := range p.parts {
		wg.Go(func() {
			series[i], errs[i] = analysis.QueryAll(ctx, part, qs...)
			if errs[i] == nil && len(series[i]) != len(qs) {
				errs[i] = fmt.Errorf("%d series for %d queries", len(series[i]), len(qs))
			}
			if errs[i] != nil {
				errs[i] = fmt.Errorf("part %d (%T): %w", i, part, errs[i])
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("compose query of %d series: %w", len(qs), err)
	}
	out := make([]analysis.Series, len(qs))
	for k, q := range qs {
		parts := make([]analysis.Series, len(p.parts))
		for i := range p.parts {
			parts[i] = series[i][k]
		}
		s, err := Merge(parts...)
		if err != nil {
			return nil, fmt.Errorf("compose query %s/%s version %s: %w", q.Service, q.Env, q.Version, err)
		}
		s.Version = q.Version
		out[k] = s
	}
	return out, nil
}

// Merge adds series up field by field: counts, CPU, memory and log lines are summed,
// routes merged, and latency histograms added bucket by bucket (an empty histogram
// adds nothing; two with different bounds are an error). At is the latest of them.
func Merge(series ...analysis.Series) (analysis.Series, error) {
	var out analysis.Series
	for _, s := range series {
		if out.Version == "" {
			out.Version = s.Version
		}
		if s.At.After(out.At) {
			out.At = s.At
		}
		out.Requests += s.Requests
		out.Errors += s.Errors
		out.CPUSeconds += s.CPUSeconds
		out.MemoryBytes += s.MemoryBytes
		out.LogErrors += s.LogErrors
		for route, rc := range s.Routes {
			if out.Routes == nil {
				out.Routes = make(map[string]analysis.RouteCounts, len(s.Routes))
			}
			cur := out.Routes[route]
			out.Routes[route] = analysis.RouteCounts{Requests: cur.Requests + rc.Requests, Errors: cur.Errors + rc.Errors}
		}
		h, err := addHistograms(out.Latency, s.Latency)
		if err != nil {
			return analysis.Series{}, err
		}
		out.Latency = h
	}
	return out, nil
}

func addHistograms(a, b analysis.Histogram) (analysis.Histogram, error) {
	switch {
	case len(b.Bounds) == 0 && b.Count == 0:
		return a, nil
	case len(a.Bounds) == 0 && a.Count == 0:
		return analysis.Histogram{Bounds: slices.Clone(b.Bounds), Counts: slices.Clone(b.Counts), Count: b.Count, Sum: b.Sum}, nil
	case !slices.Equal(a.Bounds, b.Bounds) || len(a.Counts) != len(b.Counts):
		return analysis.Histogram{}, fmt.Errorf("latency histograms have different buckets (%v and %v): cannot add them", a.Bounds, b.Bounds)
	}
	out := analysis.Histogram{Bounds: a.Bounds, Counts: make([]float64, len(a.Counts)), Count: a.Count + b.Count, Sum: a.Sum + b.Sum}
	for i := range a.Counts {
		out.Counts[i] = a.Counts[i] + b.Counts[i]
	}
	return out, nil
}
