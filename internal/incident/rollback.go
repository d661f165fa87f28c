package incident

import (
	"fmt"
	"strings"

	"github.com/slipway/slipway/internal/store"
)

func (rb Rollback) validate() error {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"service", rb.Service}, {"env", rb.Env}, {"rollout", rb.Rollout}, {"affected version", rb.AffectedVersion},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("rollback report lacks %s: the rollout controller must set them", strings.Join(missing, ", "))
	}
	return nil
}

// RollbackFromEvent reads a rollout.rolledback journal event (data: reason,
// stable_version, checks) into a Rollback. Its metrics are the failed checks, or
// every check when none is marked failed.
func RollbackFromEvent(e store.Event) (Rollback, error) {
	if e.Kind != "rollout.rolledback" {
		return Rollback{}, fmt.Errorf("event %d is %s, want rollout.rolledback", e.ID, e.Kind)
	}
	d, err := decodeData(e)
	if err != nil {
		return Rollback{}, err
	}
	rb := Rollback{
		Service: e.Service, Env: e.Env, Rollout: e.Rollout, AffectedVersion: e.Version,
		StableVersion: d.StableVersion, Reason: d.Reason, RolledBackAt: e.Time,
	}
	rb.Metrics = failedMetrics(d.Checks)
	if err := rb.validate(); err != nil {
		return Rollback{}, fmt.Errorf("event %d: %w", e.ID, err)
	}
	return rb, nil
}

// firstFailure finds, in the journal of a rollout, when the candidate began to
// fail and the first verdict that decided to roll back. The failure began after
// the last reading (the rollout's start, a step's start or a verdict) that counted
// no failed request and at or before the first that did (a check's or a route's
// errors): failed is that last clean reading - the earliest users could have met
// the failure, so durations measured from it are upper bounds, as the
// post-mortem's impact and DORA's time to restore state them - or the first
// failing reading when the journal holds none before it. Either is zero when the
// journal does not hold it.
func firstFailure(events []store.Event) (failed, detected store.Event) {
	var clean, erred store.Event
	for _, e := range events {
		switch e.Kind {
		case "rollout.started", "rollout.step":
			if erred.ID == 0 {
				clean = e
			}
			continue
		case "rollout.verdict":
		default:
			continue
		}
		d, err := decodeData(e)
		if err != nil {
			continue
		}
		bad := d.verdictFailed()
		for _, c := range d.Checks {
			bad = bad || c.Errors > 0
		}
		for _, r := range d.FailingRoutes {
			bad = bad || r.Errors > 0
		}
		switch {
		case bad && erred.ID == 0:
			erred = e
		case erred.ID == 0:
			clean = e
		}
		if d.verdictFailed() && detected.ID == 0 {
			detected = e
		}
	}
	if erred.ID != 0 && clean.ID != 0 {
		return clean, detected
	}
	return erred, detected
}

// failedMetrics turns the failed checks (or all, when none failed) into metrics.
func failedMetrics(checks []check) []Metric {
	var failed, all []Metric
	for _, c := range checks {
		m := Metric{Name: c.Metric, Value: c.Value, Threshold: c.Threshold, Samples: c.Samples, Errors: c.Errors}
		all = append(all, m)
		if c.result() == "fail" {
			failed = append(failed, m)
		}
	}
	if len(failed) > 0 {
		return failed
	}
	return all
}
