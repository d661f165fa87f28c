// Package providertest is the conformance suite every analysis.Provider runs: it
// drives real traffic of a known shape through the source a provider reads (a router,
// a Prometheus scraping a router, ...) and checks what the provider reports.
//
// A provider's test calls Run with a Harness:
//
//	providertest.Run(t, providertest.Harness{New: func(t *testing.T) *providertest.Source {
//		... start the source, return the provider and the ways to drive it ...
//	}})
//
// The suite checks exact request and error counts per version (status >= 500 is an
// error), that other versions, services and environments are excluded, that a version
// without traffic is a zero Series and not an error, that counters are cumulative
// between queries, that latency histograms count every request and place a quantile
// within one bucket of the truth, that concurrent queries agree, that a cancelled
// context and an incomplete query are errors, and that every outage of the source is
// an error: missing data must never look like a healthy, quiet version.
package providertest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/analysis"
)

// Harness builds the source under test.
type Harness struct {
	// New starts a fresh source and returns how to drive and read it. It registers
	// its own cleanup with t. The suite calls it once.
	New func(t *testing.T) *Source
}

// Source is one running metrics source and the provider reading it.
type Source struct {
	// Provider is the implementation under test.
	Provider analysis.Provider
	// Service and Env are the scope the suite queries.
	Service, Env string
	// Versions are three versions Send can reach in Service/Env. The suite sends to
	// the first two and never to the third, which must read as zero traffic.
	Versions [3]string
	// Others are destinations outside the queried versions' series (another service,
	// another env) that Send can also reach; their traffic must never be counted.
	// Empty when the source carries one service in one env only.
	Others []analysis.Query
	// Send makes n requests to the destination's version and returns once all have
	// been answered. Each request is answered with status after at least latency.
	Send func(t *testing.T, to analysis.Query, status int, latency time.Duration, n int)
	// Settle returns once the provider can see every request Send has completed
	// (for a Prometheus, one scrape later).
	Settle func(t *testing.T)
	// Outages make the source unreadable, each in its own way (the backend is
	// stopped, the scrape target is gone, ...). The suite causes them in order, after
	// every other check, each on top of the previous ones; after each, Query must
	// return an error. At least one is required.
	Outages []Outage
}

// Outage is one way a source becomes unreadable.
type Outage struct {
	Name string
	// Cause makes the outage happen and returns once the provider would see it.
	Cause func(t *testing.T)
}

// Run runs the conformance suite against the source h builds.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.New == nil {
		t.Fatal("providertest: Harness.New is nil")
	}
	s := h.New(t)
	if err := s.check(); err != nil {
		t.Fatalf("providertest: %v", err)
	}
	c := &suite{Source: s}
	// The traffic checks share one source and build on each other's traffic: each
	// states the totals it expects so far, so a failed one stops those after it.
	chain := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"ZeroTraffic", c.zeroTraffic},
		{"ExactCounts", c.exactCounts},
		{"Cumulative", c.cumulative},
		{"Latency", c.latency},
		{"Concurrent", c.concurrent},
	}
	for _, st := range chain {
		if !t.Run(st.name, st.run) {
			t.Logf("providertest: %s failed; skipping the traffic checks that build on it", st.name)
			break
		}
	}
	t.Run("BadQuery", c.badQuery)
	t.Run("ContextDone", c.contextDone)
	t.Run("Outages", c.outages) // last: the source is unreadable afterwards
}

func (s *Source) check() error {
	switch {
	case s == nil:
		return errors.New("Harness.New returned a nil Source")
	case s.Provider == nil || s.Send == nil || s.Settle == nil:
		return errors.New("Source needs Provider, Send and Settle")
	case s.Service == "" || s.Env == "":
		return errors.New("Source needs Service and Env")
	case s.Versions[0] == "" || s.Versions[1] == "" || s.Versions[2] == "" ||
		s.Versions[0] == s.Versions[1] || s.Versions[1] == s.Versions[2] || s.Versions[0] == s.Versions[2]:
		return fmt.Errorf("Source.Versions %q must be three distinct, non-empty versions", s.Versions)
	case len(s.Outages) == 0:
		return errors.New("Source needs at least one Outage: a source that cannot fail is not tested")
	}
	for _, o := range s.Others {
		if o.Service == s.Service && o.Env == s.Env {
			return fmt.Errorf("Source.Others %+v is in the queried scope %s/%s", o, s.Service, s.Env)
		}
	}
	return nil
}
