package artifact

import (
	"fmt"
	"time"
)

// DBAge is how old the database was when the report was made: from its last
// modification to the scan. ok is false when the report does not say when it
// was scanned or when the database was modified.
func (r Report) DBAge() (age time.Duration, ok bool) {
	if r.ScannedAt.IsZero() || r.DBModified.IsZero() {
		return 0, false
	}
	if age = r.ScannedAt.Sub(r.DBModified); age < 0 {
		age = 0
	}
	return age, true
}

// describeDB says which database a report used and how old it was then.
func describeDB(r Report) string {
	s := fmt.Sprintf("%s, modified %s", r.DB, dateOf(r.DBModified))
	if age, ok := r.DBAge(); ok {
		s += fmt.Sprintf(" (%s old at the scan on %s)", ageText(age), dateOf(r.ScannedAt))
	}
	return s
}

// checkDBAge refuses a report scanned against a database older than the gate's
// max-db-age, or one whose age cannot be told.
func checkDBAge(p Policy, r Report, dgst string) error {
	g := p.Vulnerabilities
	if g == nil {
		return nil
	}
	limit, err := g.MaxAge()
	if err != nil || limit == 0 {
		return err // validated with the configuration
	}
	fix := fmt.Sprintf("update the OSV database (artifacts.vulndb or $%s) and release again: a new release is scanned anew", EnvVulnDB)
	age, ok := r.DBAge()
	if !ok {
		return fmt.Errorf("%w: %s's gate accepts a database at most %s old (%s: %s), but how old %s was at the scan of %s is unknown (it has no modification date, or the report predates dated scans): %s",
			ErrStaleDB, p.env(), ageText(limit), p.field("vulnerabilities.max-db-age"), g.MaxDBAge, r.DB, dgst, fix)
	}
	if age > limit {
		return fmt.Errorf("%w: the scan of %s on %s used %s, last modified %s: %s old, and %s's gate accepts at most %s (%s: %s): %s",
			ErrStaleDB, dgst, dateOf(r.ScannedAt), r.DB, dateOf(r.DBModified), ageText(age), p.env(), ageText(limit), p.field("vulnerabilities.max-db-age"), g.MaxDBAge, fix)
	}
	return nil
}

// ageText writes an age in days, or hours below two days.
func ageText(d time.Duration) string {
	switch h := int(d.Hours()); {
	case h >= 48:
		return fmt.Sprintf("%d days", h/24)
	case h == 1:
		return "1 hour"
	default:
		return fmt.Sprintf("%d hours", h)
	}
}
