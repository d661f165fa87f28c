package local_test

import (
	"testing"

	"github.com/slipway/slipway/internal/executor/local"
	"github.com/slipway/slipway/internal/pipeline"
	"github.com/slipway/slipway/internal/pipeline/executortest"
)

func TestConformance(t *testing.T) {
	executortest.Run(t, func(*testing.T) pipeline.Executor { return &local.Executor{} })
}
