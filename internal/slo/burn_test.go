package slo

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/router"
)

// phase is a stretch of recorded traffic: minutes of perMin requests, a share of
// them server errors and a share slower than 250ms.
type phase struct {
	minutes      int
	perMin       float64
	errors, slow float64
}

var t0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// record writes the phases minute by minute from t0 into a real samples file and
// returns the time just after the last minute.
func record(t *testing.T, s *Samples, k Key, phases ...phase) time.Time {
	t.Helper()
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	i250 := boundIndex(250 * time.Millisecond)
	m := minuteOf(t0)
	for _, p := range phases {
		for range p.minutes {
			// Every bound at or above 250ms holds the fast requests and the slow
			// ones answered by 500ms; below it, none.
			args := []any{k.Service, k.Env, k.Version, m, p.perMin, p.perMin * p.errors}
			for i := range router.DurationBuckets() {
				v := 0.0
				if i >= i250 {
					v = p.perMin * (1 - p.slow)
				}
				if i > i250 {
					v = p.perMin
				}
				args = append(args, v)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO minutes VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`, args...); err != nil {
				t.Fatal(err)
			}
			m++
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return time.Unix(m*60, 0).UTC().Add(-time.Second)
}

func openSamples(t *testing.T) *Samples {
	t.Helper()
	s, err := OpenSamples(context.Background(), filepath.Join(t.TempDir(), "slo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestAssessRecordedSeries(t *testing.T) {
	avail := Objective{Name: "availability", Target: 0.999, Period: 30 * 24 * time.Hour, MinRequests: 100}
	latency := Objective{Name: "latency", Target: 0.99, Period: 30 * 24 * time.Hour, MinRequests: 100, Latency: 250 * time.Millisecond}
	strict := avail
	strict.MinRequests = 1000
	const day = 24 * 60
	healthy := func(minutes int) phase { return phase{minutes: minutes, perMin: 100} }
	tests := []struct {
		name   string
		o      Objective
		phases []phase
		firing []string // tiers firing at the end
	}{
		{"new version: 2% errors for 10 min pages at once", avail,
			[]phase{{minutes: 10, perMin: 100, errors: 0.02}}, []string{"page-1h", "page-6h", "ticket-3d"}},
		{"established version: 2% for 10 min is not yet 2% of the budget", avail,
			[]phase{healthy(3 * day), {minutes: 10, perMin: 100, errors: 0.02}}, nil},
		{"established version: 2% for 42 min still below 14.4x over 1h", avail,
			[]phase{healthy(3 * day), {minutes: 42, perMin: 100, errors: 0.02}}, nil},
		{"established version: 2% for 44 min pages (1h burn 14.7x)", avail,
			[]phase{healthy(3 * day), {minutes: 44, perMin: 100, errors: 0.02}}, []string{"page-1h"}},
		{"100% errors for 5 min then 10 min healthy: 5m ends the 1h page, 30m holds the 6h one", avail,
			[]phase{healthy(3 * day), {minutes: 5, perMin: 100, errors: 1}, healthy(10)}, []string{"page-6h", "ticket-3d"}},
		{"the same 35 min later: only the ticket (6h window) remains", avail,
			[]phase{healthy(3 * day), {minutes: 5, perMin: 100, errors: 1}, healthy(45)}, []string{"ticket-3d"}},
		{"0.2% for a day after three healthy days: budget not yet 10% spent", avail,
			[]phase{healthy(3 * day), {minutes: day, perMin: 100, errors: 0.002}}, nil},
		{"0.2% for 37 hours after three healthy days: the ticket fires, no page", avail,
			[]phase{healthy(3 * day), {minutes: 37 * 60, perMin: 100, errors: 0.002}}, []string{"ticket-3d"}},
		{"new version at 0.2%: a ticket, never a page", avail,
			[]phase{{minutes: 120, perMin: 100, errors: 0.002}}, []string{"ticket-3d"}},
		{"half the requests fail below the traffic guard: nothing fires", strict,
			[]phase{{minutes: 3 * day, perMin: 1, errors: 0.5}}, nil},
		{"10% slow at 99% within 250ms: the 6h page (6x), not the 1h one (14.4x)", latency,
			[]phase{{minutes: 30, perMin: 100, slow: 0.10}}, []string{"page-6h", "ticket-3d"}},
		{"errors do not spend a latency budget", latency,
			[]phase{{minutes: 30, perMin: 100, errors: 0.5}}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := openSamples(t)
			k := Key{Service: "contract-api", Env: "prod", Version: "1.12.0"}
			now := record(t, s, k, tc.phases...)
			states := Assess(tc.o, func(span time.Duration) Counts {
				c, err := s.Sum(context.Background(), k, now, span)
				if err != nil {
					t.Fatal(err)
				}
				return c
			})
			var firing []string
			for _, st := range states {
				if st.Firing {
					firing = append(firing, st.Tier)
				}
			}
			if !equal(firing, tc.firing) {
				for _, st := range states {
					t.Logf("%s: %s", st.Tier, st.Why)
				}
				t.Errorf("firing = %v, want %v", firing, tc.firing)
			}
		})
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTierRates(t *testing.T) {
	for _, tc := range []struct {
		period time.Duration
		want   []float64
	}{
		{30 * 24 * time.Hour, []float64{14.4, 6, 1}},
		{28 * 24 * time.Hour, []float64{13.44, 5.6, 28.0 / 30}},
	} {
		for i, tier := range Tiers {
			if got := tier.Rate(tc.period); !near(got, tc.want[i]) {
				t.Errorf("%s.Rate(%s) = %v, want %v", tier.Name, tc.period, got, tc.want[i])
			}
		}
	}
}

func near(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }

func TestSamplesKeepThreeDays(t *testing.T) {
	s := openSamples(t)
	k := Key{Service: "api", Env: "prod", Version: "1.0.0"}
	ctx := context.Background()
	for i := range 5 {
		at := t0.Add(time.Duration(i) * 24 * time.Hour)
		if err := s.Add(ctx, k, at, Counts{Requests: 10, Errors: 1}); err != nil {
			t.Fatal(err)
		}
		if err := s.Add(ctx, k, at.Add(10*time.Second), Counts{Requests: 5}); err != nil {
			t.Fatal(err)
		}
	}
	var rows int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM minutes`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 4 { // days 1..4: day 0 is older than 3d and an hour at day 4
		t.Errorf("rows kept = %d, want 4", rows)
	}
	now := t0.Add(4*24*time.Hour + 30*time.Second)
	got, err := s.Sum(ctx, k, now, Longest)
	if err != nil {
		t.Fatal(err)
	}
	if got.Requests != 45 || got.Errors != 3 { // days 2, 3 and 4 (day 1 lies 3d before now minus a minute)
		t.Errorf("Sum(3d) = %v requests, %v errors; want 45, 3", got.Requests, got.Errors)
	}
}
