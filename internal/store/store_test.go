package store

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestJournalFilters(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	t0 := time.Date(2026, 2, 5, 10, 0, 0, 0, time.UTC)
	in := []Event{
		{Time: t0, Kind: "rollout.started", Service: "api", Env: "prod", Version: "1.12.0", Rollout: "r1"},
		{Time: t0.Add(time.Second), Kind: "rollout.verdict", Service: "api", Env: "prod", Rollout: "r1", Data: map[string]any{"verdict": "rollback", "value": 0.021}},
		{Time: t0.Add(2 * time.Second), Kind: "incident.opened", Service: "api", Env: "prod", Incident: "INC-1"},
		{Time: t0.Add(3 * time.Second), Kind: "deploy.finished", Service: "other", Env: "dev"},
	}
	for _, e := range in {
		if _, err := s.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		f    Filter
		want []string
	}{
		{"all", Filter{}, []string{"rollout.started", "rollout.verdict", "incident.opened", "deploy.finished"}},
		{"service", Filter{Service: "api"}, []string{"rollout.started", "rollout.verdict", "incident.opened"}},
		{"prefix", Filter{Kinds: []string{"rollout.*"}}, []string{"rollout.started", "rollout.verdict"}},
		{"exact kinds", Filter{Kinds: []string{"incident.opened", "deploy.finished"}}, []string{"incident.opened", "deploy.finished"}},
		{"rollout", Filter{Rollout: "r1"}, []string{"rollout.started", "rollout.verdict"}},
		{"since", Filter{Since: t0.Add(2 * time.Second)}, []string{"incident.opened", "deploy.finished"}},
		{"limit keeps newest", Filter{Limit: 2}, []string{"incident.opened", "deploy.finished"}},
	}
	for _, tt := range tests {
		got, err := s.Events(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range got {
			kinds = append(kinds, e.Kind)
		}
		if diff := cmp.Diff(tt.want, kinds); diff != "" {
			t.Errorf("%s: kinds (-want +got):\n%s", tt.name, diff)
		}
	}
	got, _ := s.Events(ctx, Filter{Kinds: []string{"rollout.verdict"}})
	if got[0].Data["verdict"] != "rollback" || got[0].Data["value"] != 0.021 || !got[0].Time.Equal(t0.Add(time.Second)) {
		t.Errorf("verdict event = %+v, want data and time preserved", got[0])
	}
}

func TestRecordsAndSequences(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	type doc struct {
		Phase  string
		Weight int
	}
	if err := s.Get(ctx, "rollout", "r1", &doc{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get missing = %v, want ErrNotFound", err)
	}
	for _, d := range []doc{{"progressing", 5}, {"progressing", 25}} {
		if err := s.Put(ctx, "rollout", "r1", d); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Put(ctx, "rollout", "r2", doc{"promoted", 100}); err != nil {
		t.Fatal(err)
	}
	var got doc
	if err := s.Get(ctx, "rollout", "r1", &got); err != nil || got.Weight != 25 {
		t.Errorf("Get r1 = %+v, %v; want weight 25", got, err)
	}
	var ids []string
	err := s.List(ctx, "rollout", func(id string, raw json.RawMessage) error {
		ids = append(ids, id)
		return nil
	})
	if err != nil || !cmp.Equal(ids, []string{"r1", "r2"}) {
		t.Errorf("List = %v, %v; want [r1 r2]", ids, err)
	}
	for want := int64(1); want <= 3; want++ {
		if got, err := s.NextSeq(ctx, "incident"); err != nil || got != want {
			t.Errorf("NextSeq = %d, %v; want %d", got, err, want)
		}
	}
}

func TestReopenKeepsState(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s.Append(ctx, Event{Kind: "run.started"})
	s.Put(ctx, "deployment", "api/prod", map[string]string{"version": "1.11.3"})
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	evs, _ := s.Events(ctx, Filter{})
	var d map[string]string
	if len(evs) != 1 || s.Get(ctx, "deployment", "api/prod", &d) != nil || d["version"] != "1.11.3" {
		t.Errorf("after reopen: events %d, deployment %v", len(evs), d)
	}
}

func TestDeleteOlder(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	for _, id := range []string{"a", "b"} {
		if err := s.Put(ctx, "mark", id, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Put(ctx, "other", "a", 1); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteOlder(ctx, "mark", time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Errorf("DeleteOlder(an hour ago) = %d, %v; want nothing that old", n, err)
	}
	if n, err := s.DeleteOlder(ctx, "mark", time.Now().Add(time.Second)); err != nil || n != 2 {
		t.Errorf("DeleteOlder(now) = %d, %v; want both marks", n, err)
	}
	var v int
	if err := s.Get(ctx, "other", "a", &v); err != nil || v != 1 {
		t.Errorf("another kind's record = %d, %v; want it kept", v, err)
	}
}
