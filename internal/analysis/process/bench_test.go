package process

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/runtime"
)

// BenchmarkQuery measures one Query of one instance (this process) with a log that
// grows by 100 lines between queries: the /proc scan plus the incremental log read.
func BenchmarkQuery(b *testing.B) {
	log := filepath.Join(b.TempDir(), "app.log")
	f, err := os.Create(log)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	in := runtime.Instance{ID: "self", PID: os.Getpid(), Log: log, Started: time.Now()}
	p := New(func(context.Context, string, string, string) ([]runtime.Instance, error) {
		return []runtime.Instance{in}, nil
	})
	q := analysis.Query{Service: "contract-api", Env: "prod", Version: "v1"}
	batch := strings.Repeat(`{"time":"2025-06-01T12:00:00Z","level":"INFO","msg":"request served","route":"GET /contracts/:id"}`+"\n", 99) +
		`{"time":"2025-06-01T12:00:00Z","level":"ERROR","msg":"rule failed"}` + "\n"
	for b.Loop() {
		if _, err := f.WriteString(batch); err != nil {
			b.Fatal(err)
		}
		if _, err := p.Query(context.Background(), q); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCountLog measures counting an existing log from scratch, per byte.
func BenchmarkCountLog(b *testing.B) {
	log := filepath.Join(b.TempDir(), "app.log")
	lines := strings.Repeat(`{"time":"2025-06-01T12:00:00Z","level":"INFO","msg":"request served","route":"GET /contracts/:id"}`+"\n", 9) +
		`time=2025-06-01T12:00:00Z level=ERROR msg="rule failed" contract=42` + "\n"
	body := strings.Repeat(lines, 10000)
	if err := os.WriteFile(log, []byte(body), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		var c logCounter
		n, err := c.read(log)
		if err != nil || n != 10000 {
			b.Fatalf("read = %v, %v; want 10000", n, err)
		}
	}
}
