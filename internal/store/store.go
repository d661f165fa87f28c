package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrNotFound is returned by Get when no record has the kind and id.
var ErrNotFound = errors.New("not found")

// Store is a SQLite-backed state store and journal. It is safe for concurrent use,
// also by several processes sharing the file.
type Store struct {
	db *sql.DB
}

const schema = `
CREATE TABLE IF NOT EXISTS events (
	id       INTEGER PRIMARY KEY AUTOINCREMENT,
	time     TEXT NOT NULL,
	kind     TEXT NOT NULL,
	service  TEXT NOT NULL DEFAULT '',
	env      TEXT NOT NULL DEFAULT '',
	version  TEXT NOT NULL DEFAULT '',
	digest   TEXT NOT NULL DEFAULT '',
	run      TEXT NOT NULL DEFAULT '',
	rollout  TEXT NOT NULL DEFAULT '',
	incident TEXT NOT NULL DEFAULT '',
	message  TEXT NOT NULL DEFAULT '',
	data     TEXT NOT NULL DEFAULT '{}',
	actor    TEXT NOT NULL DEFAULT '',
	via      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS events_service ON events(service, env, id);
CREATE INDEX IF NOT EXISTS events_rollout ON events(rollout, id);
CREATE TABLE IF NOT EXISTS records (
	kind    TEXT NOT NULL,
	id      TEXT NOT NULL,
	created TEXT NOT NULL,
	updated TEXT NOT NULL,
	doc     TEXT NOT NULL,
	PRIMARY KEY (kind, id)
);
CREATE TABLE IF NOT EXISTS sequences (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
`

// Open opens (creating if needed) the SQLite store at path.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	dsn := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serialises writes anyway
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: create schema: %w", path, err)
	}
	if err := migrate(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// migrate adds the columns later versions introduced to an older database.
func migrate(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT name FROM pragma_table_info('events')`)
	if err != nil {
		return fmt.Errorf("read schema: %w", err)
	}
	have := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return fmt.Errorf("read schema: %w", err)
		}
		have[name] = true
	}
	rows.Close()
	for _, col := range []string{"actor", "via"} {
		if have[col] {
			continue
		}
		if _, err := db.ExecContext(ctx, "ALTER TABLE events ADD COLUMN "+col+" TEXT NOT NULL DEFAULT ''"); err != nil {
			return fmt.Errorf("add column events.%s: %w", col, err)
		}
	}
	return nil
}

// Close releases the database.
func (s *Store) Close() error { return s.db.Close() }

const timeFormat = time.RFC3339Nano

// Append writes e to the journal, setting its ID, and its Time when zero.
func (s *Store) Append(ctx context.Context, e Event) (Event, error) {
	if e.Kind == "" {
		return e, errors.New("append event: kind is empty")
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = e.Time.UTC()
	if a, ok := ActorFrom(ctx); ok && e.Actor == "" {
		e.Actor, e.Via = a.Name, a.Via
	}
	data := []byte("{}")
	if len(e.Data) > 0 {
		var err error
		if data, err = json.Marshal(e.Data); err != nil {
			return e, fmt.Errorf("append event %s: encode data: %w", e.Kind, err)
		}
	}
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO events(time, kind, service, env, version, digest, run, rollout, incident, message, data, actor, via)
		 VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		e.Time.Format(timeFormat), e.Kind, e.Service, e.Env, e.Version, e.Digest, e.Run, e.Rollout, e.Incident, e.Message, string(data), e.Actor, e.Via)
	if err != nil {
		return e, fmt.Errorf("append event %s: %w", e.Kind, err)
	}
	e.ID, _ = res.LastInsertId()
	return e, nil
}

// Filter selects journal events. Zero fields match everything.
type Filter struct {
	Service, Env, Version, Run, Rollout, Incident string
	// Kinds are exact kinds, or prefixes written "rollout.*".
	Kinds        []string
	Since, Until time.Time
	// AfterID returns only events with a larger ID (for tailing).
	AfterID int64
	// Limit keeps the newest Limit events (still returned oldest first).
	Limit int
}

// Events returns the journal events matching f, oldest first.
func (s *Store) Events(ctx context.Context, f Filter) ([]Event, error) {
	var where []string
	var args []any
	eq := func(col, v string) {
		if v != "" {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	eq("service", f.Service)
	eq("env", f.Env)
	eq("version", f.Version)
	eq("run", f.Run)
	eq("rollout", f.Rollout)
	eq("incident", f.Incident)
	if len(f.Kinds) > 0 {
		var or []string
		for _, k := range f.Kinds {
			if p, ok := strings.CutSuffix(k, "*"); ok {
				or = append(or, "kind LIKE ?")
				args = append(args, p+"%")
			} else {
				or = append(or, "kind = ?")
				args = append(args, k)
			}
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	if !f.Since.IsZero() {
		where = append(where, "time >= ?")
		args = append(args, f.Since.UTC().Format(timeFormat))
	}
	if !f.Until.IsZero() {
		where = append(where, "time < ?")
		args = append(args, f.Until.UTC().Format(timeFormat))
	}
	if f.AfterID > 0 {
		where = append(where, "id > ?")
		args = append(args, f.AfterID)
	}
	q := "SELECT id, time, kind, service, env, version, digest, run, rollout, incident, message, data, actor, via FROM events"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var ts, data string
		if err := rows.Scan(&e.ID, &ts, &e.Kind, &e.Service, &e.Env, &e.Version, &e.Digest, &e.Run, &e.Rollout, &e.Incident, &e.Message, &data, &e.Actor, &e.Via); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		e.Time, _ = time.Parse(timeFormat, ts)
		if data != "{}" && data != "" {
			if err := json.Unmarshal([]byte(data), &e.Data); err != nil {
				return nil, fmt.Errorf("read event %d: decode data: %w", e.ID, err)
			}
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}
