package dora

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/slipway/slipway/internal/store"
)

// deploy is one deploy.finished event.
type deploy struct {
	Service, Env, Version, Outcome string
	At                             time.Time
}

func (d deploy) succeeded() bool { return d.Outcome == "deployed" || d.Outcome == "promoted" }
func (d deploy) failed() bool    { return d.Outcome == "rolled-back" || d.Outcome == "aborted" }

// readDeploys reads the finished deploys, oldest first; a paused rollout has not
// finished and is not counted.
func readDeploys(ctx context.Context, j Journal, o Options) ([]deploy, error) {
	evs, err := j.Events(ctx, store.Filter{Service: o.Service, Env: o.Env, Kinds: []string{"deploy.finished"}})
	if err != nil {
		return nil, fmt.Errorf("read deployments: %w", err)
	}
	var out []deploy
	for _, e := range evs {
		outcome, _ := e.Data["outcome"].(string)
		d := deploy{Service: e.Service, Env: e.Env, Version: e.Version, Outcome: outcome, At: e.Time}
		if d.Service == "" || d.Env == "" || !d.succeeded() && !d.failed() {
			continue
		}
		out = append(out, d)
	}
	return out, nil
}

// release is what the measures need of a release record.
type release struct {
	Version string    `json:"version"`
	Created time.Time `json:"created"`
	Commits []commit  `json:"commits"`
	sem     *semver.Version
}

type commit struct {
	Hash string    `json:"hash"`
	Time time.Time `json:"time"`
}

// readReleases reads the release records by service, in version order.
func readReleases(ctx context.Context, j Journal, service string) (map[string][]release, error) {
	out := make(map[string][]release)
	err := j.List(ctx, "release", func(id string, raw json.RawMessage) error {
		svc, _, ok := strings.Cut(id, "/")
		if !ok || service != "" && svc != service {
			return nil
		}
		var r release
		if err := decode("release "+id, raw, &r); err != nil {
			return err
		}
		r.sem, _ = semver.NewVersion(r.Version)
		out[svc] = append(out[svc], r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read releases: %w", err)
	}
	for _, rs := range out {
		slices.SortStableFunc(rs, func(a, b release) int {
			if a.sem != nil && b.sem != nil {
				return a.sem.Compare(b.sem)
			}
			return a.Created.Compare(b.Created)
		})
	}
	return out, nil
}

// lead is one commit's way to the environment.
type lead struct {
	deployed time.Time
	took     time.Duration
}

// leadTimes follows the commits into one environment: a successful deployment of
// a version delivers the commits of every release up to it (in version order) that
// had not reached the environment yet, so the commits of a rolled-back release
// are counted when the next version succeeds.
func leadTimes(ds []deploy, releases []release) []lead {
	delivered := make(map[string]bool)
	var out []lead
	for _, d := range ds {
		if !d.succeeded() {
			continue
		}
		upTo := slices.IndexFunc(releases, func(r release) bool { return r.Version == d.Version })
		if upTo < 0 {
			continue
		}
		for _, r := range releases[:upTo+1] {
			for _, c := range r.Commits {
				if delivered[c.Hash] || c.Time.IsZero() {
					continue
				}
				delivered[c.Hash] = true
				if took := d.At.Sub(c.Time); took >= 0 {
					out = append(out, lead{deployed: d.At, took: took})
				}
			}
		}
	}
	return out
}

// incidentRecord is what the measures need of an incident record. Older records
// call the moment traffic was back on stable stabilized_at.
type incidentRecord struct {
	ID              string    `json:"id"`
	Service         string    `json:"service"`
	Env             string    `json:"env"`
	AffectedVersion string    `json:"affected_version"`
	Rollout         string    `json:"rollout"`
	StartedAt       time.Time `json:"started_at"`
	DetectedAt      time.Time `json:"detected_at"`
	OpenedAt        time.Time `json:"opened_at"`
	MitigatedAt     time.Time `json:"mitigated_at"`
	StabilizedAt    time.Time `json:"stabilized_at"`
	ResolvedAt      time.Time `json:"resolved_at"`
}

func readIncidents(ctx context.Context, j Journal, o Options) ([]incidentRecord, error) {
	var out []incidentRecord
	err := j.List(ctx, "incident", func(id string, raw json.RawMessage) error {
		var in incidentRecord
		if err := decode("incident "+id, raw, &in); err != nil {
			return err
		}
		if o.Service != "" && in.Service != o.Service || o.Env != "" && in.Env != o.Env {
			return nil
		}
		out = append(out, in)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read incidents: %w", err)
	}
	for i := range out {
		if err := firstError(ctx, j, &out[i]); err != nil {
			return nil, err
		}
	}
	slices.SortStableFunc(out, func(a, b incidentRecord) int { return a.OpenedAt.Compare(b.OpenedAt) })
	return out, nil
}

// firstError moves an incident's start to when its rollout's candidate began to
// fail, when the journal says so earlier than the record: after the last reading
// (the rollout's start, a step's start or a verdict) that counted no failed
// request, before the first that did. Starting at the clean reading makes time to
// restore an upper bound, as the post-mortem's impact states it, never a
// reading's interval short of what users met.
func firstError(ctx context.Context, j Journal, in *incidentRecord) error {
	if in.Rollout == "" {
		return nil
	}
	evs, err := j.Events(ctx, store.Filter{Rollout: in.Rollout, Kinds: []string{"rollout.started", "rollout.step", "rollout.verdict"}})
	if err != nil {
		return fmt.Errorf("read the readings of incident %s: %w", in.ID, err)
	}
	var clean, erred time.Time
	for _, e := range evs {
		if e.Kind != "rollout.verdict" {
			clean = e.Time
			continue
		}
		var d struct {
			Checks []struct {
				Errors float64 `json:"errors"`
			} `json:"checks"`
		}
		if err := decode(fmt.Sprintf("event %d (%s)", e.ID, e.Kind), e.Data, &d); err != nil {
			return err
		}
		failed := false
		for _, c := range d.Checks {
			failed = failed || c.Errors > 0
		}
		if failed {
			erred = e.Time
			break
		}
		clean = e.Time
	}
	if erred.IsZero() {
		return nil
	}
	if !clean.IsZero() {
		erred = clean
	}
	if s := in.start(); s.IsZero() || erred.Before(s) {
		in.StartedAt = erred
	}
	return nil
}

// start is the first evidence of failure the incident recorded.
func (in incidentRecord) start() time.Time {
	for _, t := range []time.Time{in.StartedAt, in.DetectedAt, in.OpenedAt} {
		if !t.IsZero() {
			return t
		}
	}
	return time.Time{}
}

func (in incidentRecord) restore() (time.Duration, bool) {
	end := in.MitigatedAt
	if end.IsZero() {
		end = in.StabilizedAt
	}
	return between(in.start(), end)
}

func (in incidentRecord) resolve() (time.Duration, bool) { return between(in.start(), in.ResolvedAt) }

func between(from, to time.Time) (time.Duration, bool) {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return 0, false
	}
	return to.Sub(from), true
}
