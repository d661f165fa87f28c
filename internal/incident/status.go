package incident

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/slipway/slipway/internal/notify"
)

// Status is where an incident stands.
type Status string

// Statuses, in the order an incident goes through them.
const (
	// Triage: reported (an alert fired), not yet confirmed or acted upon.
	Triage Status = "triage"
	// Investigating: the problem is confirmed and people work on it; the impact may
	// still be live.
	Investigating Status = "investigating"
	// Mitigated: the impact has stopped (traffic is back on the stable version),
	// the cause is still to be fixed.
	Mitigated Status = "mitigated"
	// Resolved: the cause is fixed (a fix version promoted, or a person said so);
	// the review is still to be done.
	Resolved Status = "resolved"
	// Closed: the review is done. Nothing changes a closed incident.
	Closed Status = "closed"
)

// Names older records used, read as the statuses they became.
const (
	// Deprecated: Open is read as Investigating.
	Open = Investigating
	// Deprecated: Stabilized is read as Mitigated.
	Stabilized = Mitigated
)

// Statuses lists the statuses in lifecycle order.
var Statuses = []Status{Triage, Investigating, Mitigated, Resolved, Closed}

// Terminal reports whether s is the last status: a closed incident never changes.
func (s Status) Terminal() bool { return s == Closed }

// Active reports whether the incident still needs work before its review: its
// cause is not fixed yet.
func (s Status) Active() bool { return s != Resolved && s != Closed }

// UnmarshalJSON maps the statuses of older records: open is investigating,
// stabilized is mitigated.
func (s *Status) UnmarshalJSON(b []byte) error {
	var v string
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf("incident status: %w", err)
	}
	switch v {
	case "open":
		*s = Investigating
	case "stabilized":
		*s = Mitigated
	default:
		*s = Status(v)
	}
	return nil
}

// ParseStatus reads a status a person typed.
func ParseStatus(v string) (Status, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	for _, s := range Statuses {
		if string(s) == v {
			return s, nil
		}
	}
	names := make([]string, len(Statuses))
	for i, s := range Statuses {
		names[i] = string(s)
	}
	return "", fmt.Errorf("unknown incident status %q: use one of %s", v, strings.Join(names, ", "))
}

// checkMove says why an incident in status from cannot move to status to. A
// closed incident never moves; only a resolved one is closed; a resolved one may
// go back to investigating or mitigated when the fix did not hold.
func checkMove(id string, from, to Status) error {
	switch {
	case from == Closed:
		return fmt.Errorf("incident %s: %w: it cannot change any more (open a new one)", id, ErrClosed)
	case to == Closed && from != Resolved:
		return fmt.Errorf("incident %s is %s: resolve it before closing it (slipway incidents resolve %s)", id, from, id)
	case to == Triage && from != Triage:
		return fmt.Errorf("incident %s is %s: an incident goes back to triage only before anyone acted on it", id, from)
	}
	return nil
}

// Severities: Slipway uses the notify severities, the words Alertmanager and
// PagerDuty use too.
const (
	Critical = notify.SeverityCritical // pages someone now: production is hurt
	Warning  = notify.SeverityWarning  // needs attention within working hours
	Info     = notify.SeverityInfo     // for the record
)

// ParseSeverity reads a severity: critical, warning or info, or the sev1, sev2
// and sev3 some teams use for them.
func ParseSeverity(v string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case Critical, "sev1", "page":
		return Critical, nil
	case Warning, "sev2", "ticket":
		return Warning, nil
	case Info, "sev3":
		return Info, nil
	}
	return "", fmt.Errorf("unknown severity %q: use critical (sev1), warning (sev2) or info (sev3)", v)
}
