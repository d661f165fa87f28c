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

// firstFailure finds, in the journal of a rollout, the first reading that
// counted a failed request of the candidate (a check's or a route's errors), as
// the post-mortem and DORA's time to restore do, and the first verdict that
// decided to roll back. Either is zero when the journal does not hold it.
func firstFailure(events []store.Event) (failed, detected store.Event) {
	for _, e := range events {
		if e.Kind != "rollout.verdict" {
			continue
		}
		d, err := decodeData(e)
		if err != nil {
			continue
		}
		erred := false
		for _, c := range d.Checks {
			erred = erred || c.Errors > 0
		}
		for _, r := range d.FailingRoutes {
			erred = erred || r.Errors > 0
		}
		if (erred || d.verdictFailed()) && failed.ID == 0 {
			failed = e
		}
		if d.verdictFailed() && detected.ID == 0 {
			detected = e
		}
	}
	return failed, detected
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
