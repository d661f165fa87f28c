package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/store"
)

func TestRolloutCommands(t *testing.T) {
	data := seedState(t) // ro-1 rolled back
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(data, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join("..", "..", "examples", "contract-api", "slipway.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	st.Put(ctx, "service", cfg.Service, cfg)
	st.Put(ctx, "rollout", "ro-2", rollout.Rollout{ID: "ro-2", Phase: rollout.Progressing, Weight: 5,
		Spec: rollout.Spec{Service: "contract-api", Env: "prod", Profile: "hotfix", Steps: []int{1, 5, 25, 100},
			Stable: rollout.Release{Version: "1.11.3"}, Candidate: rollout.Release{Version: "1.12.1"}}})
	st.Close()

	out, err := runCmd(t, newRolloutCmd(), "pause", "ro-2", "--reason", "checking a dashboard", "--data", data)
	if err != nil || !strings.Contains(out, "pause of ro-2 queued") {
		t.Errorf("rollout pause ro-2 = %q, %v; want it queued", out, err)
	}
	if _, err := runCmd(t, newRolloutCmd(), "abort", "ro-1", "--data", data); err == nil || !strings.Contains(err.Error(), "rollout has ended") {
		t.Errorf("rollout abort of an ended rollout: %v, want a refusal", err)
	}
	out, err = runCmd(t, newRolloutCmd(), "status", "--data", data)
	if err != nil || !strings.Contains(out, "ro-2") || !strings.Contains(out, "hotfix") || !strings.Contains(out, "progressing") {
		t.Errorf("rollout status = %q, %v; want ro-2 listed as a progressing hotfix", out, err)
	}
	out, err = runCmd(t, newRolloutCmd(), "status", "ro-1", "--data", data)
	if err != nil || !strings.Contains(out, "reason:   error-rate 2.00% > 1.00%") {
		t.Errorf("rollout status ro-1 = %q, %v; want its reason", out, err)
	}
	st, _ = store.Open(ctx, filepath.Join(data, "slipway.db"))
	defer st.Close()
	var cmd rollout.Command
	if err := st.Get(ctx, "rollout.command", "ro-2", &cmd); err != nil || cmd.Action != rollout.Pause || cmd.Reason != "checking a dashboard" {
		t.Errorf("queued command = %+v, %v; want pause with its reason", cmd, err)
	}
}
