package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/artifact"
	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/delivery"
	"github.com/slipway/slipway/internal/store"
)

func TestPromoteRefusesWhatIsNotGreenBefore(t *testing.T) {
	data := seedState(t) // prod runs 1.11.3
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
	st.Put(ctx, "release", "contract-api/1.12.0", delivery.Release{Version: "1.12.0",
		Artifact: artifact.Artifact{Digest: "sha256:" + strings.Repeat("cd", 32)}})
	st.Close()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"9.9.9", "prod"}, "no release 9.9.9 of contract-api"},
		{[]string{"1.12.0", "prod"}, "staging must run it green first"},
		{[]string{"1.12.0", "qa"}, `no environment "qa"`},
	}
	for _, tt := range tests {
		_, err := runCmd(t, newPromoteCmd(), append(tt.args, "--data", data)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("promote %v: %v, want an error containing %q", tt.args, err, tt.want)
		}
	}
}
