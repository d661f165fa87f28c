package incident

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/store"
)

// pmData is the union of the Data keys the post-mortem reads from rollout, deploy,
// release and incident events. Unknown keys are ignored, missing ones stay zero.
type pmData struct {
	// rollout.started
	FromVersion string      `json:"from_version"`
	ToVersion   string      `json:"to_version"`
	Steps       []float64   `json:"steps"`
	Profile     string      `json:"profile"`
	MinRequests float64     `json:"min_requests"`
	Checks      []pmReading `json:"checks"` // rollout.started: the configured checks; verdicts: the readings
	// rollout.step, rollout.verdict, rollout.rolledback
	Weight *float64 `json:"weight"`
	// rollout.verdict, rollout.rolledback
	Verdict       string        `json:"verdict"`
	Outcome       string        `json:"outcome"` // also deploy.finished's outcome
	Reason        string        `json:"reason"`
	FailingRoutes []routeErrors `json:"failing_routes"`
	// rollout.rolledback, rollout.promoted
	StableVersion   string   `json:"stable_version"`
	CandidateErrors *float64 `json:"candidate_errors"`
	// incident.*
	Channel string `json:"channel"`
	Note    string `json:"note"`
	Text    string `json:"text"`
}

// pmReading is one check: as configured on rollout.started (Max, NoMax, VsStable)
// or as measured on a verdict (Value, Threshold, Samples, Errors, Stable...).
type pmReading struct {
	Metric   string  `json:"metric"`
	Max      float64 `json:"max"`
	NoMax    bool    `json:"no_max"`
	VsStable float64 `json:"vs_stable"`

	Value          float64 `json:"value"`
	Threshold      float64 `json:"threshold"`
	Samples        float64 `json:"samples"`
	Errors         float64 `json:"errors"`
	Passed         *bool   `json:"passed"`
	Result         string  `json:"outcome"`
	Stable         float64 `json:"stable"`
	StableBound    float64 `json:"stable_bound"`
	StableRequests float64 `json:"stable_requests"`
	StableErrors   float64 `json:"stable_errors"`
}

// result is "pass", "fail", "inconclusive" or "" when the event does not say.
func (c pmReading) result() string {
	if c.Result != "" {
		return c.Result
	}
	if c.Passed == nil {
		return ""
	}
	if *c.Passed {
		return "pass"
	}
	return "fail"
}

// pmEvent is a journal event with its decoded data.
type pmEvent struct {
	store.Event
	data pmData
}

// decodePM reads e.Data into pmData; a JSON round trip handles both the decoded
// JSON of the store and the Go values a writer built.
func decodePM(e store.Event) (pmData, error) { return decodeEvent[pmData](e) }

// failed reports whether a verdict decided to roll back.
func (d pmData) failed() bool {
	if d.Verdict != "" {
		return d.Verdict == "rollback"
	}
	for _, c := range d.Checks {
		if c.result() == "fail" {
			return true
		}
	}
	return false
}

// errors is the most errors any reading of a verdict counted.
func (d pmData) errors() float64 {
	var n float64
	for _, c := range d.Checks {
		n = max(n, c.Errors)
	}
	for _, r := range d.FailingRoutes {
		n = max(n, r.Errors)
	}
	return n
}

// facts is what the journal says about an incident, read once for the post-mortem.
type facts struct {
	events   []pmEvent // the rollout's and the incident's events, by time
	verdicts []pmEvent // the rollout's verdicts
	started  *pmEvent
	// firstErr is the first reading that counted a failed request of the candidate;
	// lastClean is the reading before it (a verdict, or the step that began).
	firstErr, lastClean *pmEvent
	// firstFail is the first verdict that decided to roll back.
	firstFail  *pmEvent
	rolledBack *pmEvent
	announced  *pmEvent
	resolved   *pmEvent
	// earlier holds the affected version's deploys to the environments before this one.
	earlier []pmEvent
	// fix holds the fix version's release and its rollout in this environment.
	fix []pmEvent
}

// journal reads the events of the incident and of its rollout, oldest first.
func (m *Manager) journal(ctx context.Context, inc Incident) ([]store.Event, error) {
	filters := []store.Filter{{Incident: inc.ID}}
	if inc.Rollout != "" {
		filters = append(filters, store.Filter{Rollout: inc.Rollout})
	}
	return m.events(ctx, inc, filters)
}

// surroundings reads what happened around the incident: the affected version's deploys
// elsewhere, and the fix's release and rollout.
func (m *Manager) surroundings(ctx context.Context, inc Incident) ([]store.Event, error) {
	filters := []store.Filter{{Service: inc.Service, Version: inc.AffectedVersion, Kinds: []string{"deploy.finished"}}}
	if inc.FixVersion != "" {
		filters = append(filters,
			store.Filter{Service: inc.Service, Version: inc.FixVersion, Kinds: []string{"release.created"}},
			store.Filter{Service: inc.Service, Env: inc.Env, Version: inc.FixVersion, Kinds: []string{"rollout.started", "rollout.promoted", "deploy.finished"}})
	}
	return m.events(ctx, inc, filters)
}

func (m *Manager) events(ctx context.Context, inc Incident, filters []store.Filter) ([]store.Event, error) {
	seen := make(map[int64]bool)
	var out []store.Event
	for _, f := range filters {
		events, err := m.Store.Events(ctx, f)
		if err != nil {
			return nil, fmt.Errorf("read journal of incident %s: %w", inc.ID, err)
		}
		for _, e := range events {
			if !seen[e.ID] {
				seen[e.ID] = true
				out = append(out, e)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b store.Event) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

func decodeAll(events []store.Event) ([]pmEvent, error) {
	out := make([]pmEvent, 0, len(events))
	for _, e := range events {
		d, err := decodePM(e)
		if err != nil {
			return nil, err
		}
		out = append(out, pmEvent{Event: e, data: d})
	}
	return out, nil
}

func readFacts(inc Incident, journal, around []store.Event) (facts, error) {
	var f facts
	var err error
	if f.events, err = decodeAll(journal); err != nil {
		return facts{}, err
	}
	others, err := decodeAll(around)
	if err != nil {
		return facts{}, err
	}
	var prev *pmEvent // the last reading of the candidate
	for i := range f.events {
		ev := &f.events[i]
		switch ev.Kind {
		case "rollout.started":
			f.started = first(f.started, ev)
			prev = ev
		case "rollout.step":
			if f.firstErr == nil {
				prev = ev
			}
		case "rollout.verdict":
			f.verdicts = append(f.verdicts, *ev)
			if f.firstErr == nil && ev.data.errors() > 0 {
				f.firstErr, f.lastClean = ev, prev
			}
			if f.firstErr == nil {
				prev = ev
			}
			if ev.data.failed() {
				f.firstFail = first(f.firstFail, ev)
			}
		case "rollout.rolledback":
			f.rolledBack = first(f.rolledBack, ev)
		case EventAnnounced:
			f.announced = first(f.announced, ev)
		case EventResolved:
			f.resolved = first(f.resolved, ev)
		}
	}
	for _, ev := range others {
		switch {
		case ev.Version == inc.AffectedVersion && ev.Env != inc.Env:
			f.earlier = append(f.earlier, ev)
		case inc.FixVersion != "" && ev.Version == inc.FixVersion:
			f.fix = append(f.fix, ev)
		}
	}
	return f, nil
}

func first(have, ev *pmEvent) *pmEvent {
	if have != nil {
		return have
	}
	return ev
}

// weightAtFailure is the canary's share of traffic when it failed, or -1.
func (f *facts) weightAtFailure() float64 {
	for _, ev := range []*pmEvent{f.firstFail, f.firstErr} {
		if ev != nil && ev.data.Weight != nil && *ev.data.Weight > 0 {
			return *ev.data.Weight
		}
	}
	return -1
}

// stableAt is when traffic was back on the stable version.
func (f *facts) stableAt(inc Incident) time.Time {
	if f.rolledBack != nil {
		return f.rolledBack.Time
	}
	return inc.MitigatedAt
}

// failedRequests is the number of failed requests the router counted on the
// canary over the rollout; ok is false when the journal does not say.
func (f *facts) failedRequests() (n float64, ok bool) {
	if f.rolledBack != nil && f.rolledBack.data.CandidateErrors != nil {
		// The errors of the step that failed are counted in the rollback's total.
		return *f.rolledBack.data.CandidateErrors, true
	}
	if f.firstFail != nil {
		return f.firstFail.data.errors(), true
	}
	return 0, false
}

// deciding is the verdict that rolled the canary back and the checks that failed
// in it, the sequential test's evidence last; ok is false when there is none.
func (f *facts) deciding() (pmEvent, []pmReading, bool) {
	for _, ev := range []*pmEvent{f.firstFail, f.rolledBack} {
		if ev == nil {
			continue
		}
		var failed []pmReading
		for _, c := range ev.data.Checks {
			if c.result() == "fail" {
				failed = append(failed, c)
			}
		}
		slices.SortStableFunc(failed, func(a, b pmReading) int {
			return cmp.Compare(btoi(a.Metric == "sequential"), btoi(b.Metric == "sequential"))
		})
		if len(failed) > 0 {
			return *ev, failed, true
		}
	}
	return pmEvent{}, nil, false
}

// decidingMetric is the first failed check that is a metric, not the sequential
// test's evidence about one; "" when none.
func (f *facts) decidingMetric() string {
	_, failed, ok := f.deciding()
	if !ok {
		return ""
	}
	for _, c := range failed {
		if c.Metric != "sequential" {
			return c.Metric
		}
	}
	return ""
}

// configured is how slipway.yaml set metric's check for the rollout, when the
// rollout.started event says.
func (f *facts) configured(metric string) (pmReading, bool) {
	if f.started == nil {
		return pmReading{}, false
	}
	for _, c := range f.started.data.Checks {
		if canonical(c.Metric) == canonical(metric) {
			return c, true
		}
	}
	return pmReading{}, false
}

// earlierEnvs are the environments the affected version ran in before this one
// without being rolled back there, in order.
func (f *facts) earlierEnvs() []string {
	var envs []string
	for _, ev := range f.earlier {
		if o := ev.data.Outcome; (o == "deployed" || o == "promoted") && !slices.Contains(envs, ev.Env) {
			envs = append(envs, ev.Env)
		}
	}
	return envs
}

// canonical spells a metric name the way analysis does: error_rate is error-rate.
func canonical(metric string) string { return strings.ReplaceAll(strings.ToLower(metric), "_", "-") }

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
