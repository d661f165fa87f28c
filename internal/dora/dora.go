// Package dora measures software delivery the way the DORA research does -
// deployment frequency, lead time for changes, change failure rate and time to
// restore service - from Slipway's own journal, per service and environment.
//
// The figures are exact rather than estimated because Slipway wrote every input:
//
//   - a deployment is a deploy.finished event; it succeeded when its outcome is
//     deployed or promoted, and failed when a rollout rolled it back, a person
//     aborted it, or an incident names its version in that environment;
//   - a change is a commit of a release; its lead time runs from the commit's
//     time to the first successful deployment to the environment of a version
//     that contains it (a commit of a rolled-back release reaches the environment
//     with the next version that succeeds there);
//   - time to restore runs from an incident's start to the moment traffic was
//     back on a good version: the last reading of its rollout before the first
//     that counted a failed request (an upper bound), else the start the incident
//     recorded.
package dora

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/slipway/slipway/internal/store"
)

// Journal is the part of the Slipway store the measures read.
type Journal interface {
	Events(ctx context.Context, f store.Filter) ([]store.Event, error)
	List(ctx context.Context, kind string, fn func(id string, raw json.RawMessage) error) error
}

// Options narrow what is measured. The zero value measures every service and
// environment over the whole journal.
type Options struct {
	// Since and Until bound the window; zero Since starts at the first deployment,
	// zero Until is Now.
	Since, Until time.Time
	// Service and Env keep one service or one environment; empty keeps all.
	Service, Env string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Report holds the figures of each service and environment, sorted by service
// then by the order environments were first deployed.
type Report struct {
	Since   time.Time `json:"since"`
	Until   time.Time `json:"until"`
	Figures []Figures `json:"figures"`
}

// Figures are the four measures of one service in one environment.
type Figures struct {
	Service string `json:"service"`
	Env     string `json:"env"`
	// Deployments counts deploys that reached 100% of the environment;
	// Attempts adds those rolled back or aborted.
	Deployments int `json:"deployments"`
	Attempts    int `json:"attempts"`
	// PerDay and PerWeek are Deployments over the window.
	PerDay  float64 `json:"per_day"`
	PerWeek float64 `json:"per_week"`
	// LeadTime is commit to successful deployment, over every commit deployed.
	LeadTime Stat `json:"lead_time"`
	// Failed counts the attempts that failed; ChangeFailureRate is Failed/Attempts.
	Failed            int      `json:"failed"`
	FailedVersions    []string `json:"failed_versions,omitempty"`
	ChangeFailureRate float64  `json:"change_failure_rate"`
	// TimeToRestore is first failure to traffic back on a good version, over the
	// incidents opened in the window; TimeToResolve runs to the fix.
	TimeToRestore Stat `json:"time_to_restore"`
	TimeToResolve Stat `json:"time_to_resolve"`
}

// Stat summarises durations: how many, their median and 90th percentile.
type Stat struct {
	N      int           `json:"n"`
	Median time.Duration `json:"median_ns"`
	P90    time.Duration `json:"p90_ns"`
}

// Measure computes the report from the journal.
func Measure(ctx context.Context, j Journal, o Options) (Report, error) {
	now := time.Now
	if o.Now != nil {
		now = o.Now
	}
	until := o.Until
	if until.IsZero() {
		until = now()
	}
	deploys, err := readDeploys(ctx, j, o)
	if err != nil {
		return Report{}, err
	}
	releases, err := readReleases(ctx, j, o.Service)
	if err != nil {
		return Report{}, err
	}
	incidents, err := readIncidents(ctx, j, o)
	if err != nil {
		return Report{}, err
	}
	since := o.Since
	if since.IsZero() {
		for _, d := range deploys {
			if since.IsZero() || d.At.Before(since) {
				since = d.At
			}
		}
	}
	if since.IsZero() || !since.Before(until) {
		since = until.Add(-24 * time.Hour)
	}
	r := Report{Since: since, Until: until}
	days := until.Sub(since).Hours() / 24
	for _, k := range groups(deploys, incidents) {
		f := Figures{Service: k.service, Env: k.env}
		var ds []deploy
		for _, d := range deploys {
			if d.Service == k.service && d.Env == k.env {
				ds = append(ds, d)
			}
		}
		leads := leadTimes(ds, releases[k.service])
		var restores, resolves []time.Duration
		for _, in := range incidents {
			if in.Service != k.service || in.Env != k.env || !inWindow(in.OpenedAt, since, until) {
				continue
			}
			if d, ok := in.restore(); ok {
				restores = append(restores, d)
			}
			if d, ok := in.resolve(); ok {
				resolves = append(resolves, d)
			}
		}
		var inWin []time.Duration
		for _, l := range leads {
			if inWindow(l.deployed, since, until) {
				inWin = append(inWin, l.took)
			}
		}
		f.LeadTime, f.TimeToRestore, f.TimeToResolve = summarise(inWin), summarise(restores), summarise(resolves)
		for _, d := range ds {
			if !inWindow(d.At, since, until) {
				continue
			}
			f.Attempts++
			if d.succeeded() {
				f.Deployments++
			}
			if d.failed() || incidentNames(incidents, d) {
				f.Failed++
				f.FailedVersions = append(f.FailedVersions, d.Version)
			}
		}
		if f.Attempts > 0 {
			f.ChangeFailureRate = float64(f.Failed) / float64(f.Attempts)
		}
		if days > 0 {
			f.PerDay = float64(f.Deployments) / days
			f.PerWeek = f.PerDay * 7
		}
		if f.Attempts > 0 || f.LeadTime.N > 0 || f.TimeToRestore.N > 0 || f.TimeToResolve.N > 0 {
			r.Figures = append(r.Figures, f)
		}
	}
	return r, nil
}

func inWindow(t, since, until time.Time) bool { return !t.Before(since) && !t.After(until) }

type key struct{ service, env string }

// groups lists each service and environment once, in the order they first appear.
func groups(deploys []deploy, incidents []incidentRecord) []key {
	var out []key
	add := func(k key) {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	for _, d := range deploys {
		add(key{d.Service, d.Env})
	}
	for _, in := range incidents {
		add(key{in.Service, in.Env})
	}
	slices.SortStableFunc(out, func(a, b key) int {
		if a.service < b.service {
			return -1
		}
		if a.service > b.service {
			return 1
		}
		return 0
	})
	return out
}

// incidentNames reports whether an incident names d's version in d's environment:
// a deployment that reached 100% and still hurt users failed too.
func incidentNames(incidents []incidentRecord, d deploy) bool {
	if d.failed() {
		return false
	}
	for _, in := range incidents {
		if in.Service == d.Service && in.Env == d.Env && in.AffectedVersion == d.Version && !in.OpenedAt.Before(d.At) {
			return true
		}
	}
	return false
}

// summarise is the median and 90th percentile of ds (nearest rank).
func summarise(ds []time.Duration) Stat {
	if len(ds) == 0 {
		return Stat{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(q float64) time.Duration {
		i := int(q*float64(len(s))+0.999999) - 1
		return s[max(0, min(i, len(s)-1))]
	}
	median := rank(0.5)
	if len(s)%2 == 0 {
		median = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return Stat{N: len(s), Median: median, P90: rank(0.9)}
}

// decode reads a record or event data into v through JSON.
func decode(what string, raw any, v any) error {
	b, ok := raw.(json.RawMessage)
	if !ok {
		var err error
		if b, err = json.Marshal(raw); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: not the shape Slipway writes: %w", what, err)
	}
	return nil
}
