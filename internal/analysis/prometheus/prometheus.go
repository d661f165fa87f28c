// Package prometheus is the analysis metrics provider that reads a Prometheus server:
// it evaluates PromQL instant queries over the HTTP API (/api/v1/query) and assembles
// one version's cumulative Series from them.
//
// The default queries read the series Slipway's router exports
// (slipway_router_requests_total and slipway_router_request_duration_seconds, labelled
// service, env, version, route and code), so a Prometheus scraping the router gives the
// judge exactly what the embedded router provider gives it. Queries are templates and
// can be pointed at other series.
//
// Missing data never looks healthy: a Prometheus that is down or answers an error, and
// a router target that is absent or failing its scrapes (the Up query), are errors. A
// version without traffic on a live router is a zero Series.
package prometheus

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/template"
	"time"

	"github.com/slipway/slipway/internal/analysis"
)

var _ analysis.BatchProvider = (*Provider)(nil)

// ErrNotLive is wrapped by Query's error when the Up query finds no live scrape
// target for the service and env: the data may be stale or absent.
var ErrNotLive = errors.New("no live scrape target")

// Options configure a Provider.
type Options struct {
	// Address is the Prometheus server's base URL, e.g. http://127.0.0.1:9090 (a
	// path prefix is kept: http://host/prometheus). Required.
	Address string
	// Queries override the default PromQL templates field by field.
	Queries Queries
	// Timeout bounds one Query (all its PromQL evaluations). Default 10s.
	Timeout time.Duration
	// Client sends the requests. Default: a client without its own timeout.
	Client *http.Client
}

// Provider reads one Prometheus server. It is safe for concurrent use; each Query
// evaluates five instant queries, concurrently, at the same evaluation time.
type Provider struct {
	address string
	timeout time.Duration
	client  *http.Client
	tmpl    templates
	// Now is the evaluation time of a Query and stamps Series.At. Default time.Now.
	Now func() time.Time
}

// New checks opts and returns a Provider. Every problem is reported at once.
func New(opts Options) (*Provider, error) {
	var errs []error
	addr := strings.TrimRight(strings.TrimSpace(opts.Address), "/")
	if u, err := url.Parse(addr); addr == "" {
		errs = append(errs, errors.New("address is empty: give the Prometheus server's URL, e.g. http://127.0.0.1:9090"))
	} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("address %q is not an http(s) URL with a host, e.g. http://127.0.0.1:9090", opts.Address))
	}
	if opts.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %v is negative", opts.Timeout))
	}
	tmpl, err := parseQueries(opts.Queries)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("prometheus provider: %w", err)
	}
	p := &Provider{address: addr, timeout: opts.Timeout, client: opts.Client, tmpl: tmpl, Now: time.Now}
	if p.timeout == 0 {
		p.timeout = 10 * time.Second
	}
	if p.client == nil {
		p.client = &http.Client{}
	}
	return p, nil
}

// Query returns q.Version's cumulative series for q.Service in q.Env as Prometheus
// sees them now. See the package doc for what is an error.
func (p *Provider) Query(ctx context.Context, q analysis.Query) (analysis.Series, error) {
	if q.Service == "" || q.Env == "" || q.Version == "" {
		return analysis.Series{}, fmt.Errorf("prometheus query %+v: service, env and version are all required", q)
	}
	s, err := p.query(ctx, q, p.Now())
	if err != nil {
		return analysis.Series{}, fmt.Errorf("prometheus query %s/%s version %s at %s: %w", q.Service, q.Env, q.Version, p.address, err)
	}
	return s, nil
}

// QueryAll evaluates every query at one instant, so the series it returns cover
// the same time.
func (p *Provider) QueryAll(ctx context.Context, qs []analysis.Query) ([]analysis.Series, error) {
	at := p.Now()
	out := make([]analysis.Series, len(qs))
	for i, q := range qs {
		if q.Service == "" || q.Env == "" || q.Version == "" {
			return nil, fmt.Errorf("prometheus query %+v: service, env and version are all required", q)
		}
		s, err := p.query(ctx, q, at)
		if err != nil {
			return nil, fmt.Errorf("prometheus query %s/%s version %s at %s: %w", q.Service, q.Env, q.Version, p.address, err)
		}
		out[i] = s
	}
	return out, nil
}

func (p *Provider) query(ctx context.Context, q analysis.Query, at time.Time) (analysis.Series, error) {
	if err := ctx.Err(); err != nil {
		return analysis.Series{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	v := analysisVars(q.Service, q.Env, q.Version, q.Track)
	parts := []struct {
		name string
		tmpl *template.Template
	}{
		{"up", p.tmpl.up},
		{"requests", p.tmpl.requests},
		{"errors", p.tmpl.errors},
		{"buckets", p.tmpl.buckets},
		{"sum", p.tmpl.sum},
	}
	results := make([][]sample, len(parts))
	errs := make([]error, len(parts))
	var wg sync.WaitGroup
	for i, part := range parts {
		promql, err := render(part.tmpl, v)
		if err != nil {
			errs[i] = fmt.Errorf("queries.%s: %w", part.name, err)
			continue
		}
		wg.Go(func() {
			res, err := p.instant(ctx, promql, at, p.timeout)
			if err != nil {
				err = fmt.Errorf("queries.%s %s: %w", part.name, promql, err)
			}
			results[i], errs[i] = res, err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return analysis.Series{}, err
	}
	up, requests, errSamples, buckets, sums := results[0], results[1], results[2], results[3], results[4]
	if err := checkUp(up); err != nil {
		return analysis.Series{}, err
	}
	s := analysis.Series{Version: q.Version, At: at}
	addCounts(&s, requests, false)
	addCounts(&s, errSamples, true)
	if s.Errors > s.Requests {
		return analysis.Series{}, fmt.Errorf("%v errors exceed %v requests: the errors query must count a subset of the requests query", s.Errors, s.Requests)
	}
	h, err := histogram(buckets)
	if err != nil {
		return analysis.Series{}, fmt.Errorf("queries.buckets: %w", err)
	}
	for _, x := range sums {
		h.Sum += x.Value
	}
	s.Latency = h
	return s, nil
}

func checkUp(up []sample) error {
	if len(up) == 0 {
		return fmt.Errorf("queries.up returned nothing: %w (is a router serving this service and env scraped by Prometheus?)", ErrNotLive)
	}
	for _, x := range up {
		if x.Value <= 0 {
			return fmt.Errorf("queries.up: target %v is down (%v): %w", x.Labels, x.Value, ErrNotLive)
		}
	}
	return nil
}

// addCounts adds request (or error) samples to s, per route when they carry one.
func addCounts(s *analysis.Series, samples []sample, errs bool) {
	for _, x := range samples {
		if errs {
			s.Errors += x.Value
		} else {
			s.Requests += x.Value
		}
		route, ok := x.Labels["route"]
		if !ok {
			continue
		}
		if s.Routes == nil {
			s.Routes = make(map[string]analysis.RouteCounts)
		}
		rc := s.Routes[route]
		if errs {
			rc.Errors += x.Value
		} else {
			rc.Requests += x.Value
		}
		s.Routes[route] = rc
	}
}

// histogram turns one sample per "le" into a cumulative Histogram.
func histogram(samples []sample) (analysis.Histogram, error) {
	var h analysis.Histogram
	if len(samples) == 0 {
		return h, nil
	}
	type bucket struct{ le, count float64 }
	var bs []bucket
	inf := false
	for _, x := range samples {
		le, ok := x.Labels["le"]
		if !ok {
			return h, fmt.Errorf("sample %v has no le label: aggregate the buckets by (le)", x.Labels)
		}
		if le == "+Inf" {
			if inf {
				return h, errors.New(`two le="+Inf" samples: aggregate the buckets by (le)`)
			}
			inf, h.Count = true, x.Value
			continue
		}
		b, err := strconv.ParseFloat(le, 64)
		if err != nil {
			return h, fmt.Errorf("le %q is not a number", le)
		}
		bs = append(bs, bucket{b, x.Value})
	}
	if !inf {
		return h, errors.New(`no le="+Inf" bucket: the total count is unknown`)
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].le < bs[j].le })
	for i, b := range bs {
		if i > 0 && b.le == bs[i-1].le {
			return h, fmt.Errorf("two samples for le=%v: aggregate the buckets by (le)", b.le)
		}
		h.Bounds = append(h.Bounds, b.le)
		h.Counts = append(h.Counts, b.count)
	}
	return h, nil
}
