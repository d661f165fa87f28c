package controlplane

import (
	"log/slog"
	"strings"
)

// logWriter turns the human progress lines of the engine, deployer and rollout
// controller into log records.
type logWriter struct{ log *slog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	for line := range strings.SplitSeq(strings.TrimRight(string(p), "\n"), "\n") {
		if strings.TrimSpace(line) != "" {
			w.log.Info(strings.TrimSpace(line))
		}
	}
	return len(p), nil
}
