package router

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// HeaderVersion is set on every proxied response to the version that served it.
const HeaderVersion = "X-Slipway-Version"

// Options configure a Router.
type Options struct {
	// Listen is the data plane address, e.g. 127.0.0.1:0. Used by Run only.
	Listen string
	// AdminListen is the admin address (config API and /metrics). Used by Run only.
	AdminListen string
	// StatePath is the file holding the last applied Config. New loads it when it
	// exists; Apply writes it before the change takes effect. Empty keeps the
	// config in memory only (tests, benchmarks).
	StatePath string
	// Logger receives the router's logs. Default: discard.
	Logger *slog.Logger
	// ShutdownTimeout bounds how long Run waits for in-flight requests once its
	// context is done. Default: 30s.
	ShutdownTimeout time.Duration
}

// Router is the weighted reverse proxy (ServeHTTP) and its admin API (Admin). It is
// safe for concurrent use; usable in-process or through Run.
type Router struct {
	log     *slog.Logger
	state   string
	metrics *metrics
	routes  *routeSet
	table   atomic.Pointer[table]

	// applyMu serialises Apply; it guards series and proxies.
	applyMu sync.Mutex
	series  map[seriesKey]*series
	proxies map[proxyKey]*proxy
}

// table is one immutable routing generation; ServeHTTP reads it without locks.
type table struct {
	cfg      Config
	backends []*backend
	// cum holds the cumulative weights: backend i serves draws in [cum[i-1], cum[i]).
	cum []int
}

type backend struct {
	version string
	proxy   *proxy
	series  *series
}

// New returns a Router serving the Config stored at opts.StatePath, if any.
func New(opts Options) (*Router, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Router{
		log:     log,
		state:   opts.StatePath,
		metrics: newMetrics(),
		routes:  newRouteSet(),
		series:  make(map[seriesKey]*series),
		proxies: make(map[proxyKey]*proxy),
	}
	cfg, err := loadState(opts.StatePath)
	if err != nil {
		return nil, err
	}
	if cfg.Backends == nil {
		cfg.Backends = []Backend{}
	}
	t, err := r.build(cfg)
	if err != nil {
		return nil, fmt.Errorf("load router state %s: %w", opts.StatePath, err)
	}
	r.table.Store(t)
	r.retire(Config{}, cfg)
	if cfg.Generation > 0 {
		log.Info("router config loaded", "service", cfg.Service, "env", cfg.Env,
			"generation", cfg.Generation, "backends", len(cfg.Backends), "path", opts.StatePath)
	}
	return r, nil
}

// Config returns the applied Config.
func (r *Router) Config() Config {
	return r.table.Load().cfg.clone()
}

// Apply validates cfg, persists it to the state file and then swaps it in, returning
// the applied Config with its new Generation. An invalid Config returns a
// *ValidationError and changes nothing; so does a failure to persist. Applying a
// Config that routes exactly like the current one is a no-op returning the current one.
func (r *Router) Apply(cfg Config) (Config, error) {
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	r.applyMu.Lock()
	defer r.applyMu.Unlock()
	cur := r.table.Load().cfg
	if cur.Generation > 0 && sameRouting(cur, cfg) {
		return cur.clone(), nil
	}
	next := cfg.clone()
	if next.Backends == nil {
		next.Backends = []Backend{}
	}
	next.Generation = cur.Generation + 1
	t, err := r.build(next)
	if err != nil {
		return Config{}, fmt.Errorf("apply router config for %s/%s: %w", next.Service, next.Env, err)
	}
	if err := saveState(r.state, next); err != nil {
		r.retire(cur, cur) // drop proxies built for next only
		return Config{}, fmt.Errorf("apply router config for %s/%s: %w", next.Service, next.Env, err)
	}
	r.table.Store(t)
	r.retire(cur, next)
	r.log.Info("router config applied", "service", next.Service, "env", next.Env,
		"generation", next.Generation, "weights", weights(next))
	return next.clone(), nil
}

// build prepares the table of cfg, reusing proxies (and their idle connections) and
// metric handles of backends that stay. Caller holds applyMu, or is New.
func (r *Router) build(cfg Config) (*table, error) {
	t := &table{cfg: cfg}
	sum := 0
	for _, b := range cfg.Backends {
		pk := proxyKey{cfg.Service, cfg.Env, b.Version, b.URL}
		p, ok := r.proxies[pk]
		if !ok {
			var err error
			if p, err = newProxy(pk, r.log); err != nil {
				return nil, err
			}
			r.proxies[pk] = p
		}
		sk := seriesKey{cfg.Service, cfg.Env, b.Version, b.track()}
		s, ok := r.series[sk]
		if !ok {
			s = r.metrics.series(sk)
			r.series[sk] = s
		}
		sum += b.Weight
		t.backends = append(t.backends, &backend{version: b.Version, proxy: p, series: s})
		t.cum = append(t.cum, sum)
	}
	return t, nil
}

// retire updates the weight gauges from old to cur and releases the proxies cur no
// longer uses: their idle connections close, requests in flight finish.
func (r *Router) retire(old, cur Config) {
	keep := make(map[proxyKey]bool, len(cur.Backends))
	byVersion := make(map[string]int, len(cur.Backends))
	for _, b := range cur.Backends {
		keep[proxyKey{cur.Service, cur.Env, b.Version, b.URL}] = true
		byVersion[b.Version] += b.Weight
	}
	for v, w := range byVersion {
		r.metrics.weight.WithLabelValues(cur.Service, cur.Env, v).Set(float64(w))
	}
	for _, b := range old.Backends {
		if old.Service != cur.Service || old.Env != cur.Env || !hasVersion(cur, b.Version) {
			r.metrics.weight.DeleteLabelValues(old.Service, old.Env, b.Version)
		}
	}
	for k, p := range r.proxies {
		if !keep[k] {
			p.transport.CloseIdleConnections()
			delete(r.proxies, k)
		}
	}
}

func hasVersion(cfg Config, version string) bool {
	for _, b := range cfg.Backends {
		if b.Version == version {
			return true
		}
	}
	return false
}

func weights(cfg Config) string {
	s := ""
	for i, b := range cfg.Backends {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf("%s=%d", b.Version, b.Weight)
	}
	return s
}

// pick draws a backend in proportion to the weights; nil when there are none.
func (t *table) pick() *backend {
	if len(t.backends) == 0 {
		return nil
	}
	n := rand.IntN(100)
	for i, c := range t.cum {
		if n < c {
			return t.backends[i]
		}
	}
	return t.backends[len(t.backends)-1]
}

// ServeHTTP proxies req to a backend chosen by weight and counts the outcome.
func (r *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	t := r.table.Load()
	b := t.pick()
	if b == nil {
		http.Error(w, fmt.Sprintf("slipway router: no backends configured for %s/%s", t.cfg.Service, t.cfg.Env),
			http.StatusServiceUnavailable)
		return
	}
	start := time.Now()
	route := r.routes.label(req.Method, req.URL.Path)
	sw := statusWriters.Get().(*statusWriter)
	sw.ResponseWriter, sw.code = w, 0
	b.proxy.rp.ServeHTTP(sw, req)
	code := sw.code
	sw.ResponseWriter = nil
	statusWriters.Put(sw)
	if code == 0 {
		code = http.StatusOK
	}
	b.series.observe(route, code, time.Since(start).Seconds())
}

var statusWriters = sync.Pool{New: func() any { return new(statusWriter) }}

// statusWriter records the final status code written through it.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.code == 0 && code >= 200 {
		s.code = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(p []byte) (int, error) {
	if s.code == 0 {
		s.code = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach Flush and Hijack of the real writer.
func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
