package telemetry

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// File is the trace database's name in a state directory.
const File = "traces.db"

// Defaults of [Options].
const (
	DefaultMaxAge   = 72 * time.Hour
	DefaultMaxSpans = 200_000
	DefaultMaxLogs  = 200_000
)

// ErrNoTraces says no trace database exists yet.
var ErrNoTraces = errors.New("no traces kept yet")

// Options bound what a Store keeps.
type Options struct {
	// MaxAge drops spans that started, and log records written, longer ago.
	// Default DefaultMaxAge.
	MaxAge time.Duration
	// MaxSpans drops the oldest spans beyond this many. Default DefaultMaxSpans.
	MaxSpans int
	// MaxLogs drops the oldest log records beyond this many. Default DefaultMaxLogs.
	MaxLogs int
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Store keeps spans and log records in SQLite. It is safe for concurrent use.
type Store struct {
	db       *sql.DB
	path     string
	opt      Options
	readOnly bool

	mu        sync.Mutex
	added     int       // spans and log records written since the last prune
	lastPrune time.Time // when the last prune ran
}

const schema = `
CREATE TABLE IF NOT EXISTS spans (
	trace_id  TEXT NOT NULL,
	span_id   TEXT NOT NULL,
	parent_id TEXT NOT NULL DEFAULT '',
	service   TEXT NOT NULL,
	env       TEXT NOT NULL DEFAULT '',
	version   TEXT NOT NULL DEFAULT '',
	name      TEXT NOT NULL,
	kind      TEXT NOT NULL DEFAULT '',
	request   INTEGER NOT NULL DEFAULT 0,
	route     TEXT NOT NULL DEFAULT '',
	status    INTEGER NOT NULL DEFAULT 0,
	error     INTEGER NOT NULL DEFAULT 0,
	message   TEXT NOT NULL DEFAULT '',
	start_ns  INTEGER NOT NULL,
	end_ns    INTEGER NOT NULL,
	attrs     TEXT NOT NULL DEFAULT '{}',
	events    TEXT NOT NULL DEFAULT '[]',
	PRIMARY KEY (trace_id, span_id)
);
CREATE INDEX IF NOT EXISTS spans_requests ON spans (service, env, version, request, start_ns);
CREATE INDEX IF NOT EXISTS spans_route ON spans (service, env, route, start_ns);
CREATE INDEX IF NOT EXISTS spans_start ON spans (start_ns);
CREATE TABLE IF NOT EXISTS flags (
	trace_id TEXT NOT NULL,
	span_id  TEXT NOT NULL,
	service  TEXT NOT NULL,
	env      TEXT NOT NULL DEFAULT '',
	version  TEXT NOT NULL DEFAULT '',
	flag     TEXT NOT NULL,
	variant  TEXT NOT NULL DEFAULT '',
	time_ns  INTEGER NOT NULL,
	FOREIGN KEY (trace_id, span_id) REFERENCES spans (trace_id, span_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS flags_version ON flags (service, env, version, time_ns);
CREATE INDEX IF NOT EXISTS flags_span ON flags (trace_id, span_id);
`

// Open opens (creating if needed) the trace database at path for writing.
func Open(ctx context.Context, path string, o Options) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open traces %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)")
	if err != nil {
		return nil, fmt.Errorf("open traces %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, schema+logSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open traces %s: create schema: %w", path, err)
	}
	return newStore(db, path, o, false), nil
}

// OpenReadOnly opens an existing trace database for queries only; it is
// [ErrNoTraces] when there is none at path.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s", ErrNoTraces, filepath.Dir(path))
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("open traces %s: %w", path, err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open traces %s: %w", path, err)
	}
	return newStore(db, path, Options{}, true), nil
}

func newStore(db *sql.DB, path string, o Options, ro bool) *Store {
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.MaxSpans <= 0 {
		o.MaxSpans = DefaultMaxSpans
	}
	if o.MaxLogs <= 0 {
		o.MaxLogs = DefaultMaxLogs
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Store{db: db, path: path, opt: o, readOnly: ro}
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close releases the database.
func (s *Store) Close() error { return s.db.Close() }

// Add keeps spans (a span already kept is replaced), then drops what retention
// no longer allows, at most once per 1,000 spans or minute.
func (s *Store) Add(ctx context.Context, spans []Span) error {
	if s.readOnly {
		return errors.New("add spans: the trace database is open read-only")
	}
	if len(spans) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add spans: %w", err)
	}
	defer tx.Rollback()
	for _, sp := range spans {
		if err := insert(ctx, tx, sp); err != nil {
			return fmt.Errorf("add span %s/%s: %w", sp.TraceID, sp.SpanID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("add spans: %w", err)
	}
	return s.countAdded(ctx, len(spans))
}

// countAdded counts n rows written and prunes once 1,000 were since the last prune,
// or a minute passed.
func (s *Store) countAdded(ctx context.Context, n int) error {
	s.mu.Lock()
	s.added += n
	due := s.added >= 1000 || s.opt.Now().Sub(s.lastPrune) >= time.Minute
	s.mu.Unlock()
	if due {
		return s.Prune(ctx)
	}
	return nil
}

func insert(ctx context.Context, tx *sql.Tx, sp Span) error {
	attrs, err := json.Marshal(sp.Attrs)
	if err != nil {
		return err
	}
	events, err := json.Marshal(sp.Events)
	if err != nil {
		return err
	}
	// Replacing a span drops its flag rows through the foreign key's cascade.
	if _, err := tx.ExecContext(ctx, `DELETE FROM spans WHERE trace_id = ? AND span_id = ?`, sp.TraceID, sp.SpanID); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO spans (trace_id, span_id, parent_id, service, env, version, name, kind,
		request, route, status, error, message, start_ns, end_ns, attrs, events)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sp.TraceID, sp.SpanID, sp.ParentID, sp.Service, sp.Env, sp.Version, sp.Name, sp.Kind,
		sp.Request, sp.Route, sp.Status, sp.Error, sp.Message, sp.Start.UnixNano(), sp.End.UnixNano(),
		string(attrs), string(events))
	if err != nil {
		return err
	}
	for _, f := range sp.flags() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO flags (trace_id, span_id, service, env, version, flag, variant, time_ns)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, sp.TraceID, sp.SpanID, sp.Service, sp.Env, sp.Version, f.Flag, f.Variant, f.Time.UnixNano()); err != nil {
			return err
		}
	}
	return nil
}

// Prune drops spans and log records older than MaxAge, then the oldest spans
// beyond MaxSpans and the oldest log records beyond MaxLogs.
func (s *Store) Prune(ctx context.Context) error {
	s.mu.Lock()
	s.added, s.lastPrune = 0, s.opt.Now()
	s.mu.Unlock()
	cutoff := s.opt.Now().Add(-s.opt.MaxAge).UnixNano()
	if _, err := s.db.ExecContext(ctx, `DELETE FROM spans WHERE start_ns < ?`, cutoff); err != nil {
		return fmt.Errorf("prune traces older than %s: %w", s.opt.MaxAge, err)
	}
	_, err := s.db.ExecContext(ctx, `DELETE FROM spans WHERE rowid IN (
		SELECT rowid FROM spans ORDER BY start_ns LIMIT max(0, (SELECT count(*) FROM spans) - ?))`, s.opt.MaxSpans)
	if err != nil {
		return fmt.Errorf("prune traces beyond %d spans: %w", s.opt.MaxSpans, err)
	}
	return s.pruneLogs(ctx, cutoff)
}
