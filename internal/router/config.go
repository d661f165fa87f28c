package router

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Backend is one instance of a version of the service behind the router. A version
// with several instances has one Backend each, all with its Version: responses and
// metrics are labelled by version, so they add up across its instances.
type Backend struct {
	// Version labels the backend's responses and metrics. A version and URL pair
	// appears once within a Config.
	Version string `json:"version"`
	// URL is the backend's base URL (http or https), for example http://127.0.0.1:8081.
	URL string `json:"url"`
	// Weight is the share of requests, in percent (0 to 100).
	Weight int `json:"weight"`
	// Track tells apart instances of one version that play different parts in a
	// rollout: TrackBaseline marks a fresh instance of the stable version started
	// beside the candidate, to compare it with. Empty is TrackMain. Metrics carry it
	// as the label "track".
	Track string `json:"track,omitempty"`
}

// Tracks of a backend.
const (
	TrackMain     = "main"
	TrackBaseline = "baseline"
)

// track is b's Track, TrackMain when empty.
func (b Backend) track() string {
	if b.Track == "" {
		return TrackMain
	}
	return b.Track
}

// Config is the routing table of one service in one environment.
type Config struct {
	Service string `json:"service"`
	Env     string `json:"env"`
	// Generation is set by the router and increments on every applied change; the
	// value a caller sends is ignored.
	Generation int64 `json:"generation"`
	// Backends' weights sum to 100. With no backends the router answers 503.
	Backends []Backend `json:"backends"`
}

// ValidationError lists every problem found in a Config. Apply returns it (and the
// admin API answers 400 with it) when a Config is rejected; nothing changes then.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return "invalid router config: " + strings.Join(e.Problems, "; ")
}

// Validate reports every problem of cfg at once as a *ValidationError, or nil.
func (cfg Config) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if strings.TrimSpace(cfg.Service) == "" {
		add("service is empty: name the service the router fronts")
	}
	if strings.TrimSpace(cfg.Env) == "" {
		add("env is empty: name the environment the router serves")
	}
	seen := make(map[[2]string]int, len(cfg.Backends))
	sum := 0
	for i, b := range cfg.Backends {
		where := fmt.Sprintf("backends[%d]", i)
		if b.Version == "" {
			add("%s.version is empty: every backend needs a version", where)
		} else if first, dup := seen[[2]string{b.Version, b.URL}]; dup {
			add("%s (version %q at %s) duplicates backends[%d]: list each instance of a version once", where, b.Version, b.URL, first)
		} else {
			seen[[2]string{b.Version, b.URL}] = i
		}
		if t := b.track(); t != TrackMain && t != TrackBaseline {
			add("%s.track %q is unknown: use %q, %q or leave it empty", where, b.Track, TrackMain, TrackBaseline)
		}
		if b.Weight < 0 || b.Weight > 100 {
			add("%s.weight %d is out of range: use a percentage from 0 to 100", where, b.Weight)
		}
		sum += b.Weight
		if err := checkURL(b.URL); err != nil {
			add("%s.url %q %v", where, b.URL, err)
		}
	}
	if len(cfg.Backends) > 0 && sum != 100 {
		add("backend weights sum to %d: they must sum to 100", sum)
	}
	if len(problems) > 0 {
		return &ValidationError{Problems: problems}
	}
	return nil
}

func checkURL(raw string) error {
	if raw == "" {
		return fmt.Errorf("is empty: give the backend's base URL, e.g. http://127.0.0.1:8081")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("does not parse: %w", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("has scheme %q: use http or https", u.Scheme)
	}
	if u.Host == "" {
		return fmt.Errorf("has no host: use scheme://host:port")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("has a query or fragment: give only scheme, host and an optional path")
	}
	return nil
}

// Spread gives a version's weight to its instances at urls, as evenly as whole
// percents allow (the first ones take the remainder): Spread("v2", 10, a, b, c)
// weighs a 4, b 3 and c 3. The weights add up to weight.
func Spread(version string, weight int, urls ...string) []Backend {
	if len(urls) == 0 {
		return nil
	}
	out := make([]Backend, len(urls))
	each, extra := weight/len(urls), weight%len(urls)
	for i, u := range urls {
		out[i] = Backend{Version: version, URL: u, Weight: each}
		if i < extra {
			out[i].Weight++
		}
	}
	return out
}

// sameRouting reports whether a and b route identically (Generation aside).
func sameRouting(a, b Config) bool {
	return a.Service == b.Service && a.Env == b.Env && slices.Equal(a.Backends, b.Backends)
}

// clone returns a deep copy of cfg, so callers never share the router's slices.
func (cfg Config) clone() Config {
	cfg.Backends = slices.Clone(cfg.Backends)
	return cfg
}
