package slo

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/slipway/slipway/internal/router"
)

// Key names one version's series: a service's version in an environment.
type Key struct {
	Service string `json:"service"`
	Env     string `json:"env"`
	Version string `json:"version"`
}

func (k Key) String() string { return k.Service + "/" + k.Env + "@" + k.Version }

// Samples keeps per-minute counts of every version's requests in a SQLite file,
// for the longest alert window (3d) and no longer: a version costs at most 4,320
// rows, about 400 kB. It is safe for concurrent use.
type Samples struct {
	db *sql.DB
}

// OpenSamples opens (creating if needed) the samples file at path.
func OpenSamples(ctx context.Context, path string) (*Samples, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open slo samples %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, fmt.Errorf("open slo samples %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	var cols []string
	for i := range router.DurationBuckets() {
		cols = append(cols, fmt.Sprintf("le%d REAL NOT NULL DEFAULT 0", i))
	}
	schema := `CREATE TABLE IF NOT EXISTS minutes (
	service  TEXT NOT NULL,
	env      TEXT NOT NULL,
	version  TEXT NOT NULL,
	minute   INTEGER NOT NULL,
	requests REAL NOT NULL DEFAULT 0,
	errors   REAL NOT NULL DEFAULT 0,
	` + strings.Join(cols, ",\n\t") + `,
	PRIMARY KEY (service, env, version, minute)
);
CREATE TABLE IF NOT EXISTS cursors (
	id   TEXT PRIMARY KEY,
	doc  TEXT NOT NULL
);`
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open slo samples %s: create schema: %w", path, err)
	}
	return &Samples{db: db}, nil
}

// Close releases the file.
func (s *Samples) Close() error { return s.db.Close() }

func minuteOf(t time.Time) int64 { return t.Unix() / 60 }

// Add counts c in the minute holding at.
func (s *Samples) Add(ctx context.Context, k Key, at time.Time, c Counts) error {
	return s.AddAll(ctx, map[Key]Counts{k: c}, at)
}

// AddAll counts each version's counts in the minute holding at, in one transaction.
func (s *Samples) AddAll(ctx context.Context, counts map[Key]Counts, at time.Time) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record slo samples: %w", err)
	}
	defer tx.Rollback()
	n := len(router.DurationBuckets())
	cols, marks, sets := []string{"service", "env", "version", "minute", "requests", "errors"}, []string{"?", "?", "?", "?", "?", "?"}, []string{"requests = requests + excluded.requests", "errors = errors + excluded.errors"}
	for i := range n {
		c := fmt.Sprintf("le%d", i)
		cols, marks, sets = append(cols, c), append(marks, "?"), append(sets, c+" = "+c+" + excluded."+c)
	}
	stmt, err := tx.PrepareContext(ctx, "INSERT INTO minutes("+strings.Join(cols, ",")+") VALUES ("+strings.Join(marks, ",")+
		") ON CONFLICT(service, env, version, minute) DO UPDATE SET "+strings.Join(sets, ", "))
	if err != nil {
		return fmt.Errorf("record slo samples: %w", err)
	}
	defer stmt.Close()
	m := minuteOf(at)
	for k, c := range counts {
		if c.Requests == 0 {
			continue
		}
		args := []any{k.Service, k.Env, k.Version, m, c.Requests, c.Errors}
		for i := range n {
			v := 0.0
			if i < len(c.Within) {
				v = c.Within[i]
			}
			args = append(args, v)
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("record slo samples of %s: %w", k, err)
		}
	}
	// Keep the longest window and an hour more, no older minutes.
	if _, err := tx.ExecContext(ctx, `DELETE FROM minutes WHERE minute < ?`, minuteOf(at.Add(-Longest-time.Hour))); err != nil {
		return fmt.Errorf("prune slo samples: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record slo samples: %w", err)
	}
	return nil
}

// Sum returns k's counts over the span of time ending at now, by whole minutes:
// the minute holding now and the ones before it that start within span.
func (s *Samples) Sum(ctx context.Context, k Key, now time.Time, span time.Duration) (Counts, error) {
	n := len(router.DurationBuckets())
	sums := []string{"COALESCE(SUM(requests),0)", "COALESCE(SUM(errors),0)"}
	for i := range n {
		sums = append(sums, fmt.Sprintf("COALESCE(SUM(le%d),0)", i))
	}
	from := minuteOf(now.Add(-span)) + 1
	if span < time.Minute {
		from = minuteOf(now)
	}
	c := Counts{Within: make([]float64, n)}
	dest := []any{&c.Requests, &c.Errors}
	for i := range n {
		dest = append(dest, &c.Within[i])
	}
	err := s.db.QueryRowContext(ctx, "SELECT "+strings.Join(sums, ", ")+
		" FROM minutes WHERE service = ? AND env = ? AND version = ? AND minute >= ? AND minute <= ?",
		k.Service, k.Env, k.Version, from, minuteOf(now)).Scan(dest...)
	if err != nil {
		return Counts{}, fmt.Errorf("sum slo samples of %s over %s: %w", k, span, err)
	}
	return c, nil
}

// Versions lists the versions of service with samples in the last 3 days, by env.
func (s *Samples) Versions(ctx context.Context, service string, now time.Time) ([]Key, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT env, version FROM minutes WHERE service = ? AND minute >= ? ORDER BY env, version`,
		service, minuteOf(now.Add(-Longest)))
	if err != nil {
		return nil, fmt.Errorf("list versions of %s: %w", service, err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		k := Key{Service: service}
		if err := rows.Scan(&k.Env, &k.Version); err != nil {
			return nil, fmt.Errorf("list versions of %s: %w", service, err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// cursor reads the JSON document id, reporting whether there is one.
func (s *Samples) cursor(ctx context.Context, id string) (string, bool, error) {
	var doc string
	err := s.db.QueryRowContext(ctx, `SELECT doc FROM cursors WHERE id = ?`, id).Scan(&doc)
	if err == sql.ErrNoRows {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read cursor %s: %w", id, err)
	}
	return doc, true, nil
}

func (s *Samples) setCursor(ctx context.Context, id, doc string) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO cursors(id, doc) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET doc = excluded.doc`, id, doc); err != nil {
		return fmt.Errorf("write cursor %s: %w", id, err)
	}
	return nil
}
