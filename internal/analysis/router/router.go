// Package router is the analysis metrics provider that reads Slipway's own router:
// it scrapes the router's admin /metrics endpoint and sums one version's series.
//
// It is the embedded default for local targets. The Prometheus provider reads the same
// series, with the same names and labels, through a Prometheus server.
package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/slipway/slipway/internal/analysis"
	dataplane "github.com/slipway/slipway/internal/router"
)

var _ analysis.BatchProvider = (*Provider)(nil)

// maxScrapeBytes bounds the /metrics body read per query.
const maxScrapeBytes = 32 << 20

// Provider reads one router's series. It is safe for concurrent use; each Query
// scrapes the router once.
type Provider struct {
	adminURL string
	client   *http.Client
	// Now stamps Series.At. Default: time.Now.
	Now func() time.Time
}

// New returns a Provider reading the router whose admin API is at adminURL (e.g.
// http://127.0.0.1:9091). A nil client means http.DefaultClient; bound calls with ctx.
func New(adminURL string, client *http.Client) *Provider {
	if client == nil {
		client = http.DefaultClient
	}
	return &Provider{adminURL: strings.TrimRight(adminURL, "/"), client: client, Now: time.Now}
}

// Query scrapes the router and returns q.Version's cumulative series for q.Service
// in q.Env, summed over routes. A version with no traffic is a zero Series; an
// unreachable router or an unreadable body is an error.
func (p *Provider) Query(ctx context.Context, q analysis.Query) (analysis.Series, error) {
	out, err := p.QueryAll(ctx, []analysis.Query{q})
	if err != nil {
		return analysis.Series{}, err
	}
	return out[0], nil
}

// QueryAll answers every query from one scrape of the router, so the series it
// returns are counted up to the same moment. A query with Track
// analysis.TrackBaseline reads the version's baseline instances; without, its own.
func (p *Provider) QueryAll(ctx context.Context, qs []analysis.Query) ([]analysis.Series, error) {
	for _, q := range qs {
		if q.Service == "" || q.Env == "" || q.Version == "" {
			return nil, fmt.Errorf("router query %+v: service, env and version are all required", q)
		}
	}
	if len(qs) == 0 {
		return nil, nil
	}
	fams, err := p.scrape(ctx)
	if err != nil {
		return nil, fmt.Errorf("router query %s/%s version %s: %w", qs[0].Service, qs[0].Env, qs[0].Version, err)
	}
	at := p.Now()
	out := make([]analysis.Series, len(qs))
	for i, q := range qs {
		s := analysis.Series{Version: q.Version, At: at}
		if err := addRequests(&s, fams[dataplane.MetricRequests], q); err != nil {
			return nil, fmt.Errorf("router query %s/%s version %s: %w", q.Service, q.Env, q.Version, err)
		}
		if err := addLatency(&s, fams[dataplane.MetricDuration], q); err != nil {
			return nil, fmt.Errorf("router query %s/%s version %s: %w", q.Service, q.Env, q.Version, err)
		}
		out[i] = s
	}
	return out, nil
}

func (p *Provider) scrape(ctx context.Context) (map[string]*dto.MetricFamily, error) {
	u := p.adminURL + "/metrics"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", u, err)
	}
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, fmt.Errorf("scrape %s: %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	if ft := expfmt.ResponseFormat(resp.Header).FormatType(); ft != expfmt.TypeTextPlain {
		return nil, fmt.Errorf("scrape %s: content type %q is not the Prometheus text format", u, resp.Header.Get("Content-Type"))
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(io.LimitReader(resp.Body, maxScrapeBytes))
	if err != nil {
		return nil, fmt.Errorf("scrape %s: parse exposition: %w", u, err)
	}
	return fams, nil
}

// matches reports whether m carries q's service, env, version and track labels,
// and returns its labels. A series without a track label (a router older than
// tracks) is the version's own.
func matches(m *dto.Metric, q analysis.Query) (map[string]string, bool) {
	labels := make(map[string]string, len(m.GetLabel()))
	for _, l := range m.GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	baseline := labels[dataplane.LabelTrack] == dataplane.TrackBaseline
	return labels, labels[dataplane.LabelService] == q.Service &&
		labels[dataplane.LabelEnv] == q.Env && labels[dataplane.LabelVersion] == q.Version &&
		baseline == (q.Track == analysis.TrackBaseline)
}

func addRequests(s *analysis.Series, mf *dto.MetricFamily, q analysis.Query) error {
	if mf == nil {
		return nil
	}
	if t := mf.GetType(); t != dto.MetricType_COUNTER && t != dto.MetricType_UNTYPED {
		return fmt.Errorf("%s has type %s, want counter", dataplane.MetricRequests, t)
	}
	for _, m := range mf.GetMetric() {
		labels, ok := matches(m, q)
		if !ok {
			continue
		}
		code, err := strconv.Atoi(labels[dataplane.LabelCode])
		if err != nil {
			return fmt.Errorf("%s: code label %q is not a status code", dataplane.MetricRequests, labels[dataplane.LabelCode])
		}
		v := m.GetCounter().GetValue()
		if m.GetCounter() == nil {
			v = m.GetUntyped().GetValue()
		}
		route := labels[dataplane.LabelRoute]
		if s.Routes == nil {
			s.Routes = make(map[string]analysis.RouteCounts)
		}
		rc := s.Routes[route]
		rc.Requests += v
		s.Requests += v
		if code >= 500 {
			rc.Errors += v
			s.Errors += v
		}
		s.Routes[route] = rc
	}
	return nil
}

func addLatency(s *analysis.Series, mf *dto.MetricFamily, q analysis.Query) error {
	if mf == nil {
		return nil
	}
	if mf.GetType() != dto.MetricType_HISTOGRAM {
		return fmt.Errorf("%s has type %s, want histogram", dataplane.MetricDuration, mf.GetType())
	}
	h := &s.Latency
	for _, m := range mf.GetMetric() {
		if _, ok := matches(m, q); !ok {
			continue
		}
		hist := m.GetHistogram()
		var bounds, counts []float64
		for _, b := range hist.GetBucket() {
			if math.IsInf(b.GetUpperBound(), +1) {
				continue
			}
			bounds = append(bounds, b.GetUpperBound())
			c := b.GetCumulativeCountFloat()
			if c == 0 {
				c = float64(b.GetCumulativeCount())
			}
			counts = append(counts, c)
		}
		if h.Bounds == nil {
			h.Bounds, h.Counts = bounds, make([]float64, len(bounds))
		} else if !slices.Equal(h.Bounds, bounds) {
			return errors.New(dataplane.MetricDuration + ": routes have different buckets, cannot sum them")
		}
		for i, c := range counts {
			h.Counts[i] += c
		}
		count := hist.GetSampleCountFloat()
		if count == 0 {
			count = float64(hist.GetSampleCount())
		}
		h.Count += count
		h.Sum += hist.GetSampleSum()
	}
	return nil
}
