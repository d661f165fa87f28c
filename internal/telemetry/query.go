package telemetry

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Filter selects requests. Empty fields select everything.
type Filter struct {
	Service, Env, Version string
	// Route is "METHOD /route", or a path prefix ("/v1/contracts") matching any method.
	Route string
	// Errors keeps failed requests only.
	Errors bool
	// From and To bound the requests' start; zero leaves that side open.
	From, To time.Time
	// Limit caps the rows (newest first); 0 means 100.
	Limit int
}

// where renders f as a WHERE clause over the spans table aliased s.
func (f Filter) where() (string, []any) {
	conds := []string{"s.request = 1"}
	var args []any
	for _, c := range []struct{ col, v string }{{"s.service", f.Service}, {"s.env", f.Env}, {"s.version", f.Version}} {
		if c.v != "" {
			conds = append(conds, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if f.Route != "" {
		if strings.HasPrefix(f.Route, "/") {
			conds = append(conds, "substr(s.route, instr(s.route, ' ') + 1, ?) = ?")
			args = append(args, len(f.Route), f.Route)
		} else {
			conds = append(conds, "s.route = ?")
			args = append(args, f.Route)
		}
	}
	if f.Errors {
		conds = append(conds, "s.error = 1")
	}
	if !f.From.IsZero() {
		conds = append(conds, "s.start_ns >= ?")
		args = append(args, f.From.UnixNano())
	}
	if !f.To.IsZero() {
		conds = append(conds, "s.start_ns <= ?")
		args = append(args, f.To.UnixNano())
	}
	return strings.Join(conds, " AND "), args
}

const spanColumns = `s.trace_id, s.span_id, s.parent_id, s.service, s.env, s.version, s.name, s.kind, s.request,
	s.route, s.status, s.error, s.message, s.start_ns, s.end_ns, s.attrs, s.events`

func scanSpans(rows *sql.Rows) ([]Span, error) {
	defer rows.Close()
	var out []Span
	for rows.Next() {
		var s Span
		var start, end int64
		var attrs, events string
		if err := rows.Scan(&s.TraceID, &s.SpanID, &s.ParentID, &s.Service, &s.Env, &s.Version, &s.Name, &s.Kind,
			&s.Request, &s.Route, &s.Status, &s.Error, &s.Message, &start, &end, &attrs, &events); err != nil {
			return nil, err
		}
		s.Start, s.End = time.Unix(0, start).UTC(), time.Unix(0, end).UTC()
		if err := json.Unmarshal([]byte(attrs), &s.Attrs); err != nil {
			return nil, fmt.Errorf("span %s attributes: %w", s.SpanID, err)
		}
		if err := json.Unmarshal([]byte(events), &s.Events); err != nil {
			return nil, fmt.Errorf("span %s events: %w", s.SpanID, err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// Requests lists the requests f selects, newest first.
func (s *Store) Requests(ctx context.Context, f Filter) ([]Span, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	w, args := f.where()
	rows, err := s.db.QueryContext(ctx, `SELECT `+spanColumns+` FROM spans s WHERE `+w+
		` ORDER BY s.start_ns DESC LIMIT ?`, append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	out, err := scanSpans(rows)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return out, nil
}

// Trace returns one trace's spans in start order; none when it is not kept. id
// may be a unique prefix of the trace id.
func (s *Store) Trace(ctx context.Context, id string) ([]Span, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if id == "" {
		return nil, fmt.Errorf("trace: no trace id given")
	}
	var ids []string
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT trace_id FROM spans WHERE substr(trace_id, 1, ?) = ? LIMIT 2`, len(id), id)
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", id, err)
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return nil, fmt.Errorf("trace %s: %w", id, err)
		}
		ids = append(ids, t)
	}
	rows.Close()
	switch len(ids) {
	case 0:
		return nil, nil
	case 2:
		return nil, fmt.Errorf("trace %s: the prefix names several traces: give more of the id", id)
	}
	rows, err = s.db.QueryContext(ctx, `SELECT `+spanColumns+` FROM spans s WHERE s.trace_id = ? ORDER BY s.start_ns, s.span_id`, ids[0])
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", id, err)
	}
	out, err := scanSpans(rows)
	if err != nil {
		return nil, fmt.Errorf("trace %s: %w", id, err)
	}
	return out, nil
}

// Node is a span with its children, in start order.
type Node struct {
	Span
	Children []*Node `json:"children,omitempty"`
}

// Tree arranges spans (in start order) under their parents; spans whose parent
// was not kept are roots.
func Tree(spans []Span) []*Node {
	nodes := make(map[string]*Node, len(spans))
	for _, s := range spans {
		nodes[s.SpanID] = &Node{Span: s}
	}
	var roots []*Node
	for _, s := range spans {
		n := nodes[s.SpanID]
		if p, ok := nodes[s.ParentID]; ok && s.ParentID != "" && p != n {
			p.Children = append(p.Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	return roots
}

// RouteStat counts a route's requests and errors on one version.
type RouteStat struct {
	Route    string `json:"route"`
	Version  string `json:"version"`
	Requests int    `json:"requests"`
	Errors   int    `json:"errors"`
}

// Routes counts requests and errors per route and version, the most errors first.
// f.Errors and f.Limit are ignored.
func (s *Store) Routes(ctx context.Context, f Filter) ([]RouteStat, error) {
	f.Errors = false
	w, args := f.where()
	rows, err := s.db.QueryContext(ctx, `SELECT s.route, s.version, count(*), sum(s.error) FROM spans s WHERE `+w+
		` GROUP BY s.route, s.version ORDER BY sum(s.error) DESC, count(*) DESC, s.route, s.version`, args...)
	if err != nil {
		return nil, fmt.Errorf("count errors per route: %w", err)
	}
	defer rows.Close()
	var out []RouteStat
	for rows.Next() {
		var r RouteStat
		if err := rows.Scan(&r.Route, &r.Version, &r.Requests, &r.Errors); err != nil {
			return nil, fmt.Errorf("count errors per route: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// FlagStat counts the requests that evaluated one variant of a flag on one
// version, and how many of them failed.
type FlagStat struct {
	Flag     string `json:"flag"`
	Variant  string `json:"variant"`
	Version  string `json:"version"`
	Requests int    `json:"requests"`
	Errors   int    `json:"errors"`
}

// Flags correlates feature-flag evaluations with failed requests: per flag,
// variant and version, the requests (traces) that evaluated it and how many of
// those failed. f.Errors and f.Limit are ignored.
func (s *Store) Flags(ctx context.Context, f Filter) ([]FlagStat, error) {
	f.Errors = false
	w, args := f.where()
	rows, err := s.db.QueryContext(ctx, `SELECT fl.flag, fl.variant, s.version, count(DISTINCT s.trace_id),
		count(DISTINCT CASE WHEN s.error = 1 THEN s.trace_id END)
		FROM spans s JOIN flags fl ON fl.trace_id = s.trace_id AND fl.service = s.service
		WHERE `+w+` GROUP BY fl.flag, fl.variant, s.version ORDER BY fl.flag, fl.variant, s.version`, args...)
	if err != nil {
		return nil, fmt.Errorf("correlate feature flags: %w", err)
	}
	defer rows.Close()
	var out []FlagStat
	for rows.Next() {
		var r FlagStat
		if err := rows.Scan(&r.Flag, &r.Variant, &r.Version, &r.Requests, &r.Errors); err != nil {
			return nil, fmt.Errorf("correlate feature flags: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
