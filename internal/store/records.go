package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Put stores v, encoded as JSON, as the record kind/id, replacing any previous one.
func (s *Store) Put(ctx context.Context, kind, id string, v any) error {
	if kind == "" || id == "" {
		return fmt.Errorf("put record %q/%q: kind and id are required", kind, id)
	}
	doc, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("put %s %s: encode: %w", kind, id, err)
	}
	now := time.Now().UTC().Format(timeFormat)
	_, err = s.db.ExecContext(ctx,
		`INSERT INTO records(kind, id, created, updated, doc) VALUES (?,?,?,?,?)
		 ON CONFLICT(kind, id) DO UPDATE SET updated = excluded.updated, doc = excluded.doc`,
		kind, id, now, now, string(doc))
	if err != nil {
		return fmt.Errorf("put %s %s: %w", kind, id, err)
	}
	return nil
}

// Get decodes the record kind/id into v, or returns ErrNotFound.
func (s *Store) Get(ctx context.Context, kind, id string, v any) error {
	var doc string
	err := s.db.QueryRowContext(ctx, `SELECT doc FROM records WHERE kind = ? AND id = ?`, kind, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s %s: %w", kind, id, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("get %s %s: %w", kind, id, err)
	}
	if err := json.Unmarshal([]byte(doc), v); err != nil {
		return fmt.Errorf("get %s %s: decode: %w", kind, id, err)
	}
	return nil
}

// List calls fn for every record of kind, in creation order.
func (s *Store) List(ctx context.Context, kind string, fn func(id string, raw json.RawMessage) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id, doc FROM records WHERE kind = ? ORDER BY created, rowid`, kind)
	if err != nil {
		return fmt.Errorf("list %s: %w", kind, err)
	}
	defer rows.Close()
	type rec struct {
		id  string
		doc string
	}
	var recs []rec
	for rows.Next() {
		var r rec
		if err := rows.Scan(&r.id, &r.doc); err != nil {
			return fmt.Errorf("list %s: %w", kind, err)
		}
		recs = append(recs, r)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list %s: %w", kind, err)
	}
	rows.Close()
	for _, r := range recs {
		if err := fn(r.id, json.RawMessage(r.doc)); err != nil {
			return err
		}
	}
	return nil
}

// Delete removes the record kind/id; deleting a missing record is not an error.
func (s *Store) Delete(ctx context.Context, kind, id string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM records WHERE kind = ? AND id = ?`, kind, id); err != nil {
		return fmt.Errorf("delete %s %s: %w", kind, id, err)
	}
	return nil
}

// DeleteOlder removes the records of kind last written before t and says how many.
func (s *Store) DeleteOlder(ctx context.Context, kind string, t time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM records WHERE kind = ? AND julianday(updated) < julianday(?)`,
		kind, t.UTC().Format(timeFormat))
	if err != nil {
		return 0, fmt.Errorf("delete %s records older than %s: %w", kind, t.UTC().Format(time.RFC3339), err)
	}
	return res.RowsAffected()
}

// NextSeq returns the next value (1, 2, 3...) of the named sequence.
func (s *Store) NextSeq(ctx context.Context, name string) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx,
		`INSERT INTO sequences(name, value) VALUES (?, 1)
		 ON CONFLICT(name) DO UPDATE SET value = value + 1
		 RETURNING value`, name).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("next %s: %w", name, err)
	}
	return v, nil
}
