package slo

import (
	"context"
	"encoding/json"
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

	"github.com/slipway/slipway/internal/router"
)

// maxScrapeBytes bounds one /metrics body.
const maxScrapeBytes = 32 << 20

// Scrape reads the cumulative counts of every version of service in env from the
// router whose admin API is at adminURL, summed over routes and tracks.
func Scrape(ctx context.Context, client *http.Client, adminURL, service, env string) (map[string]Counts, error) {
	if client == nil {
		client = http.DefaultClient
	}
	u := strings.TrimRight(adminURL, "/") + "/metrics"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", u, err)
	}
	req.Header.Set("Accept", string(expfmt.NewFormat(expfmt.TypeTextPlain)))
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: %s", u, resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(io.LimitReader(resp.Body, maxScrapeBytes))
	if err != nil {
		return nil, fmt.Errorf("scrape %s: parse exposition: %w", u, err)
	}
	bounds := router.DurationBuckets()
	out := map[string]Counts{}
	labels := func(m *dto.Metric) (string, map[string]string, bool) {
		l := map[string]string{}
		for _, p := range m.GetLabel() {
			l[p.GetName()] = p.GetValue()
		}
		return l[router.LabelVersion], l, l[router.LabelService] == service && l[router.LabelEnv] == env && l[router.LabelVersion] != ""
	}
	for _, m := range fams[router.MetricRequests].GetMetric() {
		v, l, ok := labels(m)
		if !ok {
			continue
		}
		n := m.GetCounter().GetValue()
		c := out[v]
		c.Requests += n
		if code, err := strconv.Atoi(l[router.LabelCode]); err == nil && code >= 500 {
			c.Errors += n
		}
		out[v] = c
	}
	for _, m := range fams[router.MetricDuration].GetMetric() {
		v, _, ok := labels(m)
		if !ok {
			continue
		}
		c := out[v]
		if c.Within == nil {
			c.Within = make([]float64, len(bounds))
		}
		for _, b := range m.GetHistogram().GetBucket() {
			if math.IsInf(b.GetUpperBound(), 1) {
				continue
			}
			if i, found := slices.BinarySearch(bounds, b.GetUpperBound()); found {
				c.Within[i] += float64(b.GetCumulativeCount())
			}
		}
		out[v] = c
	}
	return out, nil
}

// Record scrapes service's router in env and adds what each version served since
// the previous scrape to the current minute. The cumulative counts of the last
// scrape are kept in the samples file, so a restarted control plane carries on;
// a router that restarted (counters lower than before) counts from zero.
func (s *Samples) Record(ctx context.Context, client *http.Client, adminURL, service, env string, now time.Time) error {
	cur, err := Scrape(ctx, client, adminURL, service, env)
	if err != nil {
		return err
	}
	id := service + "/" + env
	prev := map[string]Counts{}
	doc, ok, err := s.cursor(ctx, id)
	if err != nil {
		return err
	}
	if ok {
		if err := json.Unmarshal([]byte(doc), &prev); err != nil {
			prev = map[string]Counts{} // unreadable: start over from this scrape
			ok = false
		}
	}
	if ok {
		deltas := map[Key]Counts{}
		for v, c := range cur {
			deltas[Key{Service: service, Env: env, Version: v}] = delta(c, prev[v])
		}
		if err := s.AddAll(ctx, deltas, now); err != nil {
			return err
		}
	}
	b, err := json.Marshal(cur)
	if err != nil {
		return fmt.Errorf("record %s: %w", id, err)
	}
	return s.setCursor(ctx, id, string(b))
}

// delta is what cur counted since prev; all of cur when the counters were reset.
func delta(cur, prev Counts) Counts {
	if cur.Requests < prev.Requests || cur.Errors < prev.Errors {
		return cur
	}
	d := Counts{Requests: cur.Requests - prev.Requests, Errors: cur.Errors - prev.Errors}
	if len(cur.Within) > 0 {
		d.Within = make([]float64, len(cur.Within))
		for i := range cur.Within {
			p := 0.0
			if i < len(prev.Within) {
				p = prev.Within[i]
			}
			d.Within[i] = max(cur.Within[i]-p, 0)
		}
	}
	return d
}
