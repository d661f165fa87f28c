package local

import (
	"testing"
	"time"

	"github.com/slipway/slipway/internal/runtime"
	"github.com/slipway/slipway/internal/runtime/runtimetest"
)

func TestConformance(t *testing.T) {
	runtimetest.Run(t, func(t *testing.T) runtime.Target {
		return &Target{StartTimeout: 10 * time.Second, Grace: 2 * time.Second}
	})
}
