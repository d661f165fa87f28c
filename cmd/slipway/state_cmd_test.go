package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/runtime"
	"github.com/slipway/slipway/internal/store"
	"github.com/spf13/cobra"
)

func runCmd(t *testing.T, cmd *cobra.Command, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	root := &cobra.Command{Use: "slipway", SilenceUsage: true, SilenceErrors: true}
	addDataFlag(root)
	root.AddCommand(cmd)
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append([]string{cmd.Name()}, args...))
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

// seedState writes what a rolled back rollout leaves behind, through the packages
// that write it for real.
func seedState(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 2, 5, 10, 8, 0, 0, time.UTC)
	dep := deploy.Deployment{Service: "contract-api", Env: "prod", Version: "1.11.3", Digest: "sha256:" + strings.Repeat("ab", 32),
		Instances: []runtime.Instance{{URL: "http://127.0.0.1:1", PID: 1 << 22}}, DeployedAt: at}
	if err := st.Put(ctx, "deployment", "contract-api/prod", dep); err != nil {
		t.Fatal(err)
	}
	ro := rollout.Rollout{ID: "ro-1", Phase: rollout.RolledBack, Reason: "error-rate 2.00% > 1.00% (150 requests, 3 errors)",
		Spec: rollout.Spec{Service: "contract-api", Env: "prod", Profile: "standard",
			Stable: rollout.Release{Version: "1.11.3"}, Candidate: rollout.Release{Version: "1.12.0"}}}
	if err := st.Put(ctx, "rollout", ro.ID, ro); err != nil {
		t.Fatal(err)
	}
	st.Append(ctx, store.Event{Time: at, Kind: "rollout.rolledback", Service: "contract-api", Env: "prod", Version: "1.12.0", Rollout: "ro-1",
		Message: "rolled back contract-api 1.12.0 in prod"})
	m := &incident.Manager{Store: st, Now: func() time.Time { return at }}
	_, err = m.OpenFromRollback(ctx, incident.Rollback{Service: "contract-api", Env: "prod", Rollout: "ro-1", AffectedVersion: "1.12.0",
		StableVersion: "1.11.3", Reason: ro.Reason, RolledBackAt: at,
		Metrics: []incident.Metric{{Name: "error-rate", Value: 0.02, Threshold: 0.01, Samples: 150, Errors: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestStateCommands(t *testing.T) {
	data := seedState(t)
	tests := []struct {
		cmd  *cobra.Command
		args []string
		want []string
	}{
		{newStatusCmd(), []string{"--data", data}, []string{"contract-api  prod", "1.11.3", "sha256:abababababab", "down",
			"ro-1", "rolled-back", "error-rate 2.00% > 1.00%", "1 incidents, 1 not resolved"}},
		{newHistoryCmd(), []string{"--data", data, "--kind", "incident.*"}, []string{"incident.opened", "incident.mitigated"}},
		{newHistoryCmd(), []string{"--data", data, "--env", "prod", "--kind", "rollout.rolledback"}, []string{"rolled back contract-api 1.12.0 in prod"}},
		{newIncidentsCmd(), []string{"--data", data}, []string{"INC-1", "mitigated", "1.12.0", "1.11.3"}},
		{newIncidentsCmd(), []string{"--data", data, "INC-1"}, []string{"rollback executed: true", "error-rate = 0.02 (threshold 0.01) on 150 requests, 3 errors"}},
	}
	for _, tt := range tests {
		out, err := runCmd(t, tt.cmd, tt.args...)
		if err != nil {
			t.Fatalf("%s %v: %v", tt.cmd.Name(), tt.args, err)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s %v: output lacks %q:\n%s", tt.cmd.Name(), tt.args, w, out)
			}
		}
	}
	if out, _ := runCmd(t, newHistoryCmd(), "--data", data, "--kind", "deploy.*"); strings.Contains(out, "rollout.") {
		t.Errorf("history --kind deploy.* shows rollout events:\n%s", out)
	}
}

func TestStateCommandsNeedState(t *testing.T) {
	empty := t.TempDir()
	for _, cmd := range []*cobra.Command{newStatusCmd(), newHistoryCmd(), newIncidentsCmd()} {
		_, err := runCmd(t, cmd, "--data", empty)
		if err == nil || !strings.Contains(err.Error(), "no Slipway state in") {
			t.Errorf("%s on an empty directory: %v, want a hint to run the demo", cmd.Name(), err)
		}
	}
	if _, err := runCmd(t, newIncidentsCmd(), "--data", seedState(t), "INC-9"); err == nil || !strings.Contains(err.Error(), "no incident INC-9") {
		t.Errorf("incidents INC-9: %v, want not found", err)
	}
}
