package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/store"
)

// Without a control plane, update, resolve and close write the state directory
// directly, record who did it, and show in the timeline.
func TestIncidentLifecycleCommands(t *testing.T) {
	data := seedState(t)
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"update", "INC-1", "--status", "investigating", "-m", "null expiry on legacy contracts", "--data", data}, "INC-1 is investigating\n"},
		{[]string{"update", "INC-1", "--severity", "sev2", "--data", data}, "INC-1 is investigating\n"},
		{[]string{"resolve", "INC-1", "--fix-version", "1.12.1", "-m", "null case handled", "--data", data}, "INC-1 is resolved, fixed by 1.12.1\n"},
		{[]string{"close", "INC-1", "--data", data}, "INC-1 is closed\n"},
	}
	for _, s := range steps {
		got, err := runCmd(t, newIncidentsCmd(), s.args...)
		if err != nil || got != s.want {
			t.Fatalf("incidents %s = %q, %v; want %q", strings.Join(s.args[:2], " "), got, err, s.want)
		}
	}
	got, err := runCmd(t, newIncidentsCmd(), "INC-1", "--data", data, "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Status, Severity, Commander string
		FixVersion                  string `json:"fix_version"`
		Updates                     []struct{ By, Text, Status string }
		Durations                   map[string]float64
	}
	if err := json.Unmarshal([]byte(got), &v); err != nil {
		t.Fatalf("incidents INC-1 -o json: %v\n%s", err, got)
	}
	user := store.CurrentUser("cli").Name
	if v.Status != "closed" || v.Severity != "warning" || v.FixVersion != "1.12.1" || v.Commander != user || len(v.Updates) != 5 {
		t.Errorf("incident after the commands = %+v", v)
	}
	if u := v.Updates[1]; u.By != user || u.Status != "investigating" || u.Text != "null expiry on legacy contracts" {
		t.Errorf("first update = %+v, want %s's investigating note", u, user)
	}
	if _, ok := v.Durations["time_to_resolve_s"]; !ok {
		t.Errorf("durations = %v, want time_to_resolve_s", v.Durations)
	}

	st, err := store.Open(context.Background(), filepath.Join(data, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, err := st.Events(context.Background(), store.Filter{Incident: "INC-1", Kinds: []string{"incident.updated", "incident.resolved", "incident.closed"}})
	if err != nil || len(evs) != 4 {
		t.Fatalf("journal = %d events, %v; want 4", len(evs), err)
	}
	for _, e := range evs {
		if e.Actor != user || e.Via != "cli" {
			t.Errorf("%s recorded by %q via %q, want %s via cli", e.Kind, e.Actor, e.Via, user)
		}
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"update", "INC-1", "-m", "late", "--data", data}, "incident INC-1: incident closed"},
		{[]string{"update", "INC-9", "-m", "x", "--data", data}, "no such incident"},
		{[]string{"update", "INC-1", "--status", "done", "--data", data}, `unknown incident status "done"`},
	} {
		if _, err := runCmd(t, newIncidentsCmd(), tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("incidents %s = %v, want an error containing %q", strings.Join(tt.args, " "), err, tt.want)
		}
	}
}

// The list and one incident's page, as a person reads them after the fix.
func TestIncidentsGolden(t *testing.T) {
	utcClock(t)
	data := seedState(t)
	st, err := store.Open(context.Background(), filepath.Join(data, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 2, 5, 10, 20, 0, 0, time.UTC)
	m := &incident.Manager{Store: st, Now: func() time.Time { return now }}
	maria := store.WithActor(context.Background(), store.Actor{Name: "maria", Via: "cli"})
	if _, err := m.Update(maria, "INC-1", incident.Change{Status: incident.Investigating, Text: "legacy contracts lack an expiry"}); err != nil {
		t.Fatal(err)
	}
	now = time.Date(2026, 2, 5, 12, 10, 0, 0, time.UTC)
	if _, err := m.ResolveFixed(maria, "contract-api", "prod", "1.12.1"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	list, err := runCmd(t, newIncidentsCmd(), "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	show, err := runCmd(t, newIncidentsCmd(), "INC-1", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "incidents.golden", "$ slipway incidents\n"+list+"\n$ slipway incidents INC-1\n"+show)
}
