package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

const logSchema = `
CREATE TABLE IF NOT EXISTS logs (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	time_ns       INTEGER NOT NULL,
	service       TEXT NOT NULL,
	env           TEXT NOT NULL DEFAULT '',
	version       TEXT NOT NULL DEFAULT '',
	severity      INTEGER NOT NULL DEFAULT 0,
	severity_text TEXT NOT NULL DEFAULT '',
	body          TEXT NOT NULL DEFAULT '',
	trace_id      TEXT NOT NULL DEFAULT '',
	span_id       TEXT NOT NULL DEFAULT '',
	attrs         TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS logs_version ON logs (service, env, version, time_ns);
CREATE INDEX IF NOT EXISTS logs_time ON logs (time_ns);
`

// AddLogs keeps log records, then drops what retention no longer allows, at
// most once per 1,000 rows (spans and records) or minute.
func (s *Store) AddLogs(ctx context.Context, logs []LogRecord) error {
	if s.readOnly {
		return errors.New("add logs: the trace database is open read-only")
	}
	if len(logs) == 0 {
		return nil
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("add logs: %w", err)
	}
	defer tx.Rollback()
	for _, l := range logs {
		attrs, err := json.Marshal(l.Attrs)
		if err != nil {
			return fmt.Errorf("add log record of %s at %s: %w", l.Service, l.Time, err)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO logs (time_ns, service, env, version, severity, severity_text,
			body, trace_id, span_id, attrs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			l.Time.UnixNano(), l.Service, l.Env, l.Version, l.Severity, l.SeverityText, l.Body, l.TraceID, l.SpanID, string(attrs))
		if err != nil {
			return fmt.Errorf("add log record of %s at %s: %w", l.Service, l.Time, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("add logs: %w", err)
	}
	return s.countAdded(ctx, len(logs))
}

// pruneLogs drops log records written before cutoff (Unix nanoseconds), then
// the oldest beyond MaxLogs.
func (s *Store) pruneLogs(ctx context.Context, cutoff int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM logs WHERE time_ns < ?`, cutoff); err != nil {
		return fmt.Errorf("prune logs older than %s: %w", s.opt.MaxAge, err)
	}
	_, err := s.db.ExecContext(ctx, `DELETE FROM logs WHERE id IN (
		SELECT id FROM logs ORDER BY time_ns, id LIMIT max(0, (SELECT count(*) FROM logs) - ?))`, s.opt.MaxLogs)
	if err != nil {
		return fmt.Errorf("prune logs beyond %d records: %w", s.opt.MaxLogs, err)
	}
	return nil
}

// LogFilter selects log records. Empty fields select everything.
type LogFilter struct {
	Service, Env, Version string
	// MinSeverity keeps records at this OTLP severity number or above (17:
	// errors and fatals); a record without severity counts as info (9).
	MinSeverity int
	// Since keeps records written at or after it.
	Since time.Time
	// Limit keeps the newest this many; 0 keeps all.
	Limit int
}

// Logs lists the log records f selects, oldest first (in arrival order at the
// same time). A database written before logs were kept has none.
func (s *Store) Logs(ctx context.Context, f LogFilter) ([]LogRecord, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'logs'`).Scan(&n); err != nil {
		return nil, fmt.Errorf("logs of %s: %w", s.path, err)
	} else if n == 0 {
		return nil, nil
	}
	var conds []string
	var args []any
	for _, c := range []struct{ col, v string }{{"service", f.Service}, {"env", f.Env}, {"version", f.Version}} {
		if c.v != "" {
			conds = append(conds, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if f.MinSeverity > 0 {
		conds = append(conds, "(CASE severity WHEN 0 THEN 9 ELSE severity END) >= ?")
		args = append(args, f.MinSeverity)
	}
	if !f.Since.IsZero() {
		conds = append(conds, "time_ns >= ?")
		args = append(args, f.Since.UnixNano())
	}
	where := "1"
	if len(conds) > 0 {
		where = strings.Join(conds, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	rows, err := s.db.QueryContext(ctx, `SELECT * FROM (SELECT id, time_ns, service, env, version, severity, severity_text,
		body, trace_id, span_id, attrs FROM logs WHERE `+where+` ORDER BY time_ns DESC, id DESC LIMIT ?) ORDER BY time_ns, id`,
		append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("logs of %s: %w", s.path, err)
	}
	defer rows.Close()
	var out []LogRecord
	for rows.Next() {
		var l LogRecord
		var ns int64
		var attrs string
		if err := rows.Scan(&l.ID, &ns, &l.Service, &l.Env, &l.Version, &l.Severity, &l.SeverityText,
			&l.Body, &l.TraceID, &l.SpanID, &attrs); err != nil {
			return nil, fmt.Errorf("logs of %s: %w", s.path, err)
		}
		l.Time = time.Unix(0, ns).UTC()
		if err := json.Unmarshal([]byte(attrs), &l.Attrs); err != nil {
			return nil, fmt.Errorf("log record %d attributes: %w", l.ID, err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("logs of %s: %w", s.path, err)
	}
	return out, nil
}
