package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestReadCommandsSpeakJSON runs every read command with -o json on seeded
// state and decodes what it printed.
func TestReadCommandsSpeakJSON(t *testing.T) {
	data := seedServices(t)
	tests := []struct {
		cmd  *cobra.Command
		args []string
		// check reads one value out of the decoded document.
		check func(doc map[string]any) bool
	}{
		{newHistoryCmd(), []string{"--kind", "incident.*"}, func(doc map[string]any) bool {
			evs, _ := doc["events"].([]any)
			return len(evs) > 0 && evs[0].(map[string]any)["kind"] == "incident.opened"
		}},
		{newIncidentsCmd(), nil, func(doc map[string]any) bool {
			incs, _ := doc["incidents"].([]any)
			return len(incs) == 1 && incs[0].(map[string]any)["id"] == "INC-1"
		}},
		{newIncidentsCmd(), []string{"INC-1"}, func(doc map[string]any) bool {
			return doc["id"] == "INC-1" && doc["affected_version"] == "1.12.0"
		}},
		{newRolloutCmd(), []string{"status"}, func(doc map[string]any) bool {
			ros, _ := doc["rollouts"].([]any)
			return len(ros) == 2 && ros[1].(map[string]any)["phase"] == "progressing"
		}},
		{newRolloutCmd(), []string{"status", "ro-1"}, func(doc map[string]any) bool {
			return doc["id"] == "ro-1" && doc["phase"] == "rolled-back" && strings.HasPrefix(doc["reason"].(string), "error-rate")
		}},
	}
	for _, tt := range tests {
		args := append(append([]string{}, tt.args...), "-o", "json", "--data", data)
		out, err := runCmd(t, tt.cmd, args...)
		if err != nil {
			t.Errorf("%s %v: %v", tt.cmd.Name(), args, err)
			continue
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Errorf("%s %v is not JSON: %v\n%s", tt.cmd.Name(), args, err, out)
			continue
		}
		if !tt.check(doc) {
			t.Errorf("%s %v = %s", tt.cmd.Name(), args, out)
		}
	}
	for _, cmd := range []*cobra.Command{newHistoryCmd(), newIncidentsCmd(), newRunsCmd()} {
		if _, err := runCmd(t, cmd, "-o", "wide", "--data", data); err == nil || !strings.Contains(err.Error(), `unknown output format "wide"`) {
			t.Errorf("%s -o wide: %v, want a refusal naming table and json", cmd.Name(), err)
		}
	}
}
