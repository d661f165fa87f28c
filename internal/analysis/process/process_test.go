package process_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/slipway/slipway/internal/analysis"
	"github.com/slipway/slipway/internal/analysis/process"
	"github.com/slipway/slipway/internal/runtime"
	"github.com/slipway/slipway/internal/runtime/local"
)

// worker is the test service binary, built once from testdata/worker.
var worker string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "process-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	worker = filepath.Join(dir, "worker")
	if out, err := exec.Command("go", "build", "-o", worker, "./testdata/worker").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build worker: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var q = analysis.Query{Service: "contract-api", Env: "prod", Version: "v1.12.0"}

// start runs the worker through the local runtime, as Slipway runs a service.
func start(t *testing.T) runtime.Instance {
	t.Helper()
	target := local.New()
	in, err := target.Start(t.Context(), runtime.Spec{
		Service: q.Service, Env: q.Env, Version: q.Version, Binary: worker, Dir: t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { target.Stop(context.Background(), in) })
	return in
}

func get(t *testing.T, in runtime.Instance, path string) {
	t.Helper()
	resp, err := http.Get(in.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %s: %s", path, resp.Status, body)
	}
}

func provider(instances ...runtime.Instance) *process.Provider {
	return process.New(func(_ context.Context, service, env, version string) ([]runtime.Instance, error) {
		if service != q.Service || env != q.Env || version != q.Version {
			return nil, nil
		}
		return instances, nil
	})
}

func query(t *testing.T, p *process.Provider) analysis.Series {
	t.Helper()
	s, err := p.Query(t.Context(), q)
	if err != nil {
		t.Fatalf("Query(%+v): %v", q, err)
	}
	if s.Requests != 0 || s.Errors != 0 || s.Latency.Count != 0 || s.Routes != nil {
		t.Errorf("Query(%+v) reports traffic %+v; the process provider knows none", q, s)
	}
	return s
}

const mib = 1 << 20

func TestCPUAndMemory(t *testing.T) {
	in := start(t)
	p := provider(in)
	before := query(t, p)
	if before.MemoryBytes < mib {
		t.Errorf("MemoryBytes = %v for a running Go server, want at least 1 MiB", before.MemoryBytes)
	}
	get(t, in, "/burn?cpu=300ms")
	burned := query(t, p)
	if d := burned.CPUSeconds - before.CPUSeconds; d < 0.28 {
		t.Errorf("CPUSeconds went from %v to %v after burning 300ms, want +0.28s or more", before.CPUSeconds, burned.CPUSeconds)
	}
	get(t, in, "/alloc?mb=64")
	held := query(t, p)
	if d := held.MemoryBytes - burned.MemoryBytes; d < 60*mib {
		t.Errorf("MemoryBytes went from %.0f to %.0f after holding 64 MiB, want +60 MiB or more", burned.MemoryBytes, held.MemoryBytes)
	}
	if held.CPUSeconds < burned.CPUSeconds {
		t.Errorf("CPUSeconds went down from %v to %v; it is cumulative", burned.CPUSeconds, held.CPUSeconds)
	}
}

func TestProcessGroup(t *testing.T) {
	in := start(t)
	p := provider(in)
	before := query(t, p)
	get(t, in, "/child?cpu=300ms") // the child burns, then lives on in the group
	after := query(t, p)
	if d := after.CPUSeconds - before.CPUSeconds; d < 0.28 {
		t.Errorf("CPUSeconds went from %v to %v after a child burned 300ms, want +0.28s or more", before.CPUSeconds, after.CPUSeconds)
	}
	if d := after.MemoryBytes - before.MemoryBytes; d < mib {
		t.Errorf("MemoryBytes went from %.0f to %.0f with a child running, want its memory added", before.MemoryBytes, after.MemoryBytes)
	}
}

func TestLogErrors(t *testing.T) {
	a, b := start(t), start(t)
	p := provider(a, b)
	if got := query(t, p).LogErrors; got != 0 {
		t.Fatalf("LogErrors = %v before any log line, want 0", got)
	}
	steps := []struct {
		in    runtime.Instance
		path  string
		delta float64
	}{
		{a, "/log?format=json&level=ERROR&n=3", 3},
		{a, "/log?format=json&level=INFO&n=5", 0},
		{a, "/log?format=json&level=WARN%2B2&n=2", 0},
		{b, "/log?format=json&level=ERROR%2B4&n=1", 1}, // a critical level above ERROR
		{b, "/log?format=text&level=ERROR&n=2", 2},
		{b, "/log?format=text&level=INFO&n=4", 0},
		{a, "/log?format=text&level=DEBUG&n=1", 0},
	}
	want := 0.0
	for _, st := range steps {
		get(t, st.in, st.path) // the lines are written before the answer
		want += st.delta
		if got := query(t, p).LogErrors; got != want {
			t.Errorf("after GET %s: LogErrors = %v, want %v", st.path, got, want)
		}
	}
	// Truncating a log does not take back what was counted.
	if err := os.Truncate(a.Log, 0); err != nil {
		t.Fatal(err)
	}
	get(t, a, "/log?format=json&level=ERROR&n=2")
	if got := query(t, p).LogErrors; got != want+2 {
		t.Errorf("after truncation and 2 more error lines: LogErrors = %v, want %v", got, want+2)
	}
}

func TestNotRunning(t *testing.T) {
	target := local.New()
	in, err := target.Start(t.Context(), runtime.Spec{Service: q.Service, Env: q.Env, Version: q.Version, Binary: worker, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	p := provider(in)
	query(t, p)
	if err := target.Stop(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	if s, err := p.Query(t.Context(), q); !errors.Is(err, process.ErrNotRunning) {
		t.Errorf("Query after Stop = %+v, %v; want ErrNotRunning", s, err)
	}
}

func TestZeroInstances(t *testing.T) {
	at := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	p := provider()
	p.Now = func() time.Time { return at }
	got := query(t, p)
	if diff := cmp.Diff(analysis.Series{Version: q.Version, At: at}, got); diff != "" {
		t.Errorf("Query without instances (-want +got):\n%s", diff)
	}
}

func TestQueryErrors(t *testing.T) {
	self := runtime.Instance{ID: "self", PID: os.Getpid(), Started: time.Now()}
	missingLog := self
	missingLog.Log = filepath.Join(t.TempDir(), "gone.log")
	reused := self
	reused.Started = time.Now().Add(-24 * time.Hour) // the pid's process started after it
	lookup := func(ins ...runtime.Instance) process.Lookup {
		return func(context.Context, string, string, string) ([]runtime.Instance, error) { return ins, nil }
	}
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name   string
		lookup process.Lookup
		ctx    context.Context
		q      analysis.Query
		want   string
	}{
		{"incomplete query", lookup(self), t.Context(), analysis.Query{Service: "contract-api"}, "required"},
		{"no lookup", nil, t.Context(), q, "no instance lookup"},
		{"lookup fails", func(context.Context, string, string, string) ([]runtime.Instance, error) {
			return nil, errors.New("store closed")
		}, t.Context(), q, "store closed"},
		{"no pid", lookup(runtime.Instance{ID: "pod-1", URL: "http://10.0.0.1"}), t.Context(), q, "no process id"},
		{"missing log", lookup(missingLog), t.Context(), q, "gone.log"},
		{"pid reused", lookup(reused), t.Context(), q, "pid was reused"},
		{"cancelled", lookup(self), cancelled, q, "context canceled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := process.New(tt.lookup).Query(tt.ctx, tt.q)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Query = %+v, %v; want an error containing %q", s, err, tt.want)
			}
		})
	}
	// The test process itself, started before now, reads fine.
	if _, err := process.New(lookup(self)).Query(t.Context(), q); err != nil {
		t.Errorf("Query(this test process): %v", err)
	}
}
