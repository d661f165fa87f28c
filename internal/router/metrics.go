package router

import (
	"slices"
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metric names the router exposes on GET /metrics. The router analysis provider reads
// them directly; the Prometheus provider reads the same names through a server.
const (
	MetricRequests = "slipway_router_requests_total"
	MetricDuration = "slipway_router_request_duration_seconds"
	MetricWeight   = "slipway_router_backend_weight"
)

// Label names of the router's series.
const (
	LabelService = "service"
	LabelEnv     = "env"
	LabelVersion = "version"
	LabelRoute   = "route"
	// LabelTrack is TrackMain, or TrackBaseline for a baseline's instances (which
	// share the stable version's label).
	LabelTrack = "track"
	LabelCode  = "code"
)

// StatusClientClosed is counted when the client went away before the backend
// answered (nginx's convention); it is not a server error.
const StatusClientClosed = 499

// DurationBuckets returns the request duration histogram's upper bounds in seconds,
// suited to HTTP APIs: 1 ms to 10 s.
func DurationBuckets() []float64 {
	return slices.Clone(durationBuckets)
}

var durationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// metrics holds the router's own registry; the global registry is never touched.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	weight   *prometheus.GaugeVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricRequests,
			Help: "Requests proxied by the Slipway router, by version, route and status code.",
		}, []string{LabelService, LabelEnv, LabelVersion, LabelTrack, LabelRoute, LabelCode}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    MetricDuration,
			Help:    "Time from receiving a request to the end of its proxied response, by version and route.",
			Buckets: durationBuckets,
		}, []string{LabelService, LabelEnv, LabelVersion, LabelTrack, LabelRoute}),
		weight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: MetricWeight,
			Help: "Percentage of requests the Slipway router sends to each version.",
		}, []string{LabelService, LabelEnv, LabelVersion}),
	}
	m.reg.MustRegister(m.requests, m.duration, m.weight,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// seriesKey names one version's series on one track.
type seriesKey struct{ service, env, version, track string }

// series caches one version's metric handles per route and code, so the hot path
// does no label lookups or allocations once a (route, code) pair has been seen.
type series struct {
	key      seriesKey
	requests *prometheus.CounterVec
	duration prometheus.ObserverVec

	mu        sync.RWMutex
	counters  map[routeCode]prometheus.Counter
	observers map[string]prometheus.Observer
}

type routeCode struct {
	route string
	code  int
}

func (m *metrics) series(k seriesKey) *series {
	labels := prometheus.Labels{LabelService: k.service, LabelEnv: k.env, LabelVersion: k.version, LabelTrack: k.track}
	return &series{
		key:       k,
		requests:  m.requests.MustCurryWith(labels),
		duration:  m.duration.MustCurryWith(labels),
		counters:  make(map[routeCode]prometheus.Counter),
		observers: make(map[string]prometheus.Observer),
	}
}

// observe counts one response and its duration.
func (s *series) observe(route string, code int, seconds float64) {
	rc := routeCode{route, code}
	s.mu.RLock()
	c, okc := s.counters[rc]
	o, oko := s.observers[route]
	s.mu.RUnlock()
	if !okc || !oko {
		c, o = s.handles(rc)
	}
	c.Inc()
	o.Observe(seconds)
}

func (s *series) handles(rc routeCode) (prometheus.Counter, prometheus.Observer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.counters[rc]
	if !ok {
		c = s.requests.WithLabelValues(rc.route, strconv.Itoa(rc.code))
		s.counters[rc] = c
	}
	o, ok := s.observers[rc.route]
	if !ok {
		o = s.duration.WithLabelValues(rc.route)
		s.observers[rc.route] = o
	}
	return c, o
}
