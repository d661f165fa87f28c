package providertest

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/analysis"
)

// queryTimeout bounds every Query the suite makes.
const queryTimeout = 15 * time.Second

// Latencies the Latency check sends; each sits well inside one bucket of the
// router's default buckets, so that a few milliseconds of overhead do not move it.
const (
	fastLatency = 30 * time.Millisecond
	slowLatency = 200 * time.Millisecond
)

type suite struct {
	*Source
}

func (c *suite) to(i int) analysis.Query {
	return analysis.Query{Service: c.Service, Env: c.Env, Version: c.Versions[i]}
}

func (c *suite) query(t *testing.T, q analysis.Query) analysis.Series {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), queryTimeout)
	defer cancel()
	s, err := c.Provider.Query(ctx, q)
	if err != nil {
		t.Fatalf("Query(%+v): %v", q, err)
	}
	if s.Version != q.Version {
		t.Errorf("Query(%+v).Version = %q, want %q", q, s.Version, q.Version)
	}
	return s
}

// counts are the totals a version must show.
type counts struct{ requests, errors float64 }

// expect checks s against want: requests, errors, the latency histogram's count and
// shape, and the per-route breakdown when the provider gives one.
func expect(t *testing.T, q analysis.Query, s analysis.Series, want counts) {
	t.Helper()
	if s.Requests != want.requests || s.Errors != want.errors {
		t.Errorf("Query(%+v) = %v requests, %v errors; want %v, %v", q, s.Requests, s.Errors, want.requests, want.errors)
	}
	if s.Latency.Count != want.requests {
		t.Errorf("Query(%+v).Latency.Count = %v, want %v (one observation per request)", q, s.Latency.Count, want.requests)
	}
	if err := histogramShape(s.Latency); err != nil {
		t.Errorf("Query(%+v).Latency: %v", q, err)
	}
	if s.Routes != nil {
		var req, errs float64
		for _, rc := range s.Routes {
			req += rc.Requests
			errs += rc.Errors
		}
		if req != s.Requests || errs != s.Errors {
			t.Errorf("Query(%+v).Routes sum to %v requests, %v errors; want the totals %v, %v", q, req, errs, s.Requests, s.Errors)
		}
	}
}

// histogramShape reports a histogram whose bounds, counts and total disagree.
func histogramShape(h analysis.Histogram) error {
	if len(h.Bounds) != len(h.Counts) {
		return fmt.Errorf("%d bounds but %d counts", len(h.Bounds), len(h.Counts))
	}
	if h.Count == 0 {
		if h.Sum != 0 {
			return fmt.Errorf("sum %v without observations", h.Sum)
		}
		return nil
	}
	if len(h.Bounds) == 0 {
		return fmt.Errorf("%v observations but no buckets", h.Count)
	}
	for i := range h.Bounds {
		if i > 0 && (h.Bounds[i] <= h.Bounds[i-1] || h.Counts[i] < h.Counts[i-1]) {
			return fmt.Errorf("buckets not increasing and cumulative: bounds %v counts %v", h.Bounds, h.Counts)
		}
	}
	if last := h.Counts[len(h.Counts)-1]; last > h.Count {
		return fmt.Errorf("last finite bucket holds %v, more than the count %v", last, h.Count)
	}
	return nil
}

func (c *suite) zeroTraffic(t *testing.T) {
	c.Settle(t)
	for i := range c.Versions {
		q := c.to(i)
		s := c.query(t, q)
		expect(t, q, s, counts{})
		for route, rc := range s.Routes {
			if rc != (analysis.RouteCounts{}) {
				t.Errorf("Query(%+v).Routes[%q] = %+v before any traffic, want zero", q, route, rc)
			}
		}
	}
}

func (c *suite) exactCounts(t *testing.T) {
	c.Send(t, c.to(0), 200, 0, 90)
	c.Send(t, c.to(0), 503, 0, 10)
	c.Send(t, c.to(1), 200, 0, 40)
	c.Send(t, c.to(1), 500, 0, 7)
	c.Send(t, c.to(1), 404, 0, 3) // a client error is a request, not an error
	for _, o := range c.Others {
		c.Send(t, o, 500, 0, 25)
		c.Send(t, o, 200, 0, 5)
	}
	c.Settle(t)
	want := []counts{{100, 10}, {50, 7}, {0, 0}}
	for i, w := range want {
		q := c.to(i)
		expect(t, q, c.query(t, q), w)
	}
}

func (c *suite) cumulative(t *testing.T) {
	q := c.to(0)
	before := c.query(t, q)
	c.Send(t, q, 200, 0, 30)
	c.Send(t, q, 502, 0, 5)
	c.Settle(t)
	after := c.query(t, q)
	expect(t, q, after, counts{135, 15})
	if d := analysis.Sub(after, before); d.Requests != 35 || d.Errors != 5 || d.Latency.Count != 35 {
		t.Errorf("Sub(second, first Query(%+v)) = %v requests, %v errors, %v latency count; want 35, 5, 35",
			q, d.Requests, d.Errors, d.Latency.Count)
	}
	if len(before.Latency.Counts) == len(after.Latency.Counts) {
		for i := range after.Latency.Counts {
			if after.Latency.Counts[i] < before.Latency.Counts[i] {
				t.Errorf("Query(%+v) bucket %v went down from %v to %v", q, after.Latency.Bounds[i], before.Latency.Counts[i], after.Latency.Counts[i])
			}
		}
	} else {
		t.Errorf("Query(%+v) latency buckets changed from %v to %v", q, before.Latency.Bounds, after.Latency.Bounds)
	}
}

func (c *suite) latency(t *testing.T) {
	// Version 1 holds 50 fast requests; add 120 at 30 ms and 30 at 200 ms. Of 200,
	// the median is a 30 ms request and the 95th percentile a 200 ms one.
	q := c.to(1)
	c.Send(t, q, 200, fastLatency, 120)
	c.Send(t, q, 200, slowLatency, 30)
	c.Settle(t)
	s := c.query(t, q)
	expect(t, q, s, counts{200, 7})
	h := s.Latency
	for _, tt := range []struct {
		q     float64
		truth time.Duration
	}{{0.5, fastLatency}, {0.95, slowLatency}} {
		got := h.Quantile(tt.q)
		if d := bucketOf(h.Bounds, got) - bucketOf(h.Bounds, tt.truth.Seconds()); d < -1 || d > 1 {
			t.Errorf("Query(%+v).Latency.Quantile(%v) = %.4fs, %d buckets from the truth %v (bounds %v, counts %v)",
				q, tt.q, got, d, tt.truth, h.Bounds, h.Counts)
		}
	}
	floor := 120*fastLatency.Seconds() + 30*slowLatency.Seconds()
	if h.Sum < floor*0.999 || h.Sum > floor+h.Count*0.5 {
		t.Errorf("Query(%+v).Latency.Sum = %.3fs, want at least the %.3fs the slow requests took and not far more", q, h.Sum, floor)
	}
}

// bucketOf returns the index of the bucket holding v: len(bounds) for +Inf.
func bucketOf(bounds []float64, v float64) int {
	return sort.SearchFloat64s(bounds, v)
}

func (c *suite) concurrent(t *testing.T) {
	q := c.to(0)
	const n = 8
	var wg sync.WaitGroup
	got := make([]analysis.Series, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(t.Context(), queryTimeout)
			defer cancel()
			got[i], errs[i] = c.Provider.Query(ctx, q)
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("concurrent Query(%+v) #%d: %v", q, i, errs[i])
			continue
		}
		expect(t, q, got[i], counts{135, 15})
	}
}

func (c *suite) badQuery(t *testing.T) {
	for _, q := range []analysis.Query{
		{},
		{Env: c.Env, Version: c.Versions[0]},
		{Service: c.Service, Version: c.Versions[0]},
		{Service: c.Service, Env: c.Env},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), queryTimeout)
		_, err := c.Provider.Query(ctx, q)
		cancel()
		if err == nil {
			t.Errorf("Query(%+v) returned no error, want one: service, env and version are required", q)
		}
	}
}

func (c *suite) contextDone(t *testing.T) {
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	expired, cancel2 := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel2()
	for _, tt := range []struct {
		name string
		ctx  context.Context
		want error
	}{{"cancelled", cancelled, context.Canceled}, {"deadline", expired, context.DeadlineExceeded}} {
		q := c.to(0)
		_, err := c.Provider.Query(tt.ctx, q)
		if !errors.Is(err, tt.want) {
			t.Errorf("Query(%s context, %+v) error = %v, want an error wrapping %v", tt.name, q, err, tt.want)
		}
	}
}

func (c *suite) outages(t *testing.T) {
	for _, o := range c.Outages {
		o.Cause(t)
		for i := range c.Versions {
			q := c.to(i)
			ctx, cancel := context.WithTimeout(t.Context(), queryTimeout)
			s, err := c.Provider.Query(ctx, q)
			cancel()
			if err == nil {
				t.Errorf("after outage %q: Query(%+v) = %v requests, %v errors, no error; want an error (missing data must not look healthy)",
					o.Name, q, s.Requests, s.Errors)
			}
		}
	}
}
