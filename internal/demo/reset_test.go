package demo

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/controlplane"
	localrt "github.com/slipway/slipway/internal/runtime/local"
)

// TestResetStopsWhatAKilledDemoLeftRunning: a demo killed with kill -9 leaves its
// routers (and instances) running; the next run stops them before it resets.
func TestResetStopsWhatAKilledDemoLeftRunning(t *testing.T) {
	if testing.Short() {
		t.Skip("builds slipway and starts a router")
	}
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), ".slipway")
	if err := resetData(ctx, data); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(filepath.Join("..", "..", "examples", "contract-api", "slipway.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := controlplane.Open(ctx, controlplane.Options{Data: data, Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	dp, err := controlplane.SpawnRouter(ctx, slipwayBinary(t), filepath.Join(data, "routers"), "prod")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dp.Stop)
	if err := p.Register(ctx, dp); err != nil {
		t.Fatal(err)
	}
	p.Close()

	if err := resetData(ctx, data); err != nil {
		t.Fatal(err)
	}
	if localrt.SameProcess(dp.PID, dp.Boot) {
		t.Errorf("router pid %d of the previous demo still runs after the reset", dp.PID)
	}
	if _, err := os.Stat(filepath.Join(data, "slipway.db")); !os.IsNotExist(err) {
		t.Errorf("previous state not reset: %v", err)
	}
}
