package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/executor/local"
	"github.com/slipway/slipway/internal/pipeline"
	"github.com/slipway/slipway/internal/store"
)

// runPipeline runs steps as a real pipeline of service tiny with the local
// executor, journaling into the store in data and logging under data/logs the
// way the control plane does.
func runPipeline(t *testing.T, data, branch string, steps ...config.Step) pipeline.Result {
	t.Helper()
	res, err := runPipelineIn(data, t.TempDir(), branch, steps...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func runPipelineIn(data, dir, branch string, steps ...config.Step) (pipeline.Result, error) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(data, "slipway.db"))
	if err != nil {
		return pipeline.Result{}, err
	}
	defer st.Close()
	r := &pipeline.Runner{Exec: &local.Executor{}, LogDir: filepath.Join(data, "logs"), Journal: st, Parallel: 1}
	return r.Run(ctx, pipeline.Spec{Service: "tiny", Kind: "branch", Branch: branch, Commit: "0123456789abcdef",
		Dir: dir, Pipeline: config.Pipeline{Steps: steps}})
}

var (
	hello = config.Step{Name: "hello", Run: "echo hello from the first step"}
	boom  = config.Step{Name: "boom", Run: "echo about to fail; exit 3", Needs: []string{"hello"}}
	after = config.Step{Name: "after", Run: "echo never", Needs: []string{"boom"}}
)

func TestRunsFromARealPipeline(t *testing.T) {
	data := t.TempDir()
	red := runPipeline(t, data, "feat/red", hello, boom, after)
	green := runPipeline(t, data, "main", hello)

	out, err := runCmd(t, newRunsCmd(), "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[1], green.Run) || !strings.HasPrefix(lines[2], red.Run) {
		t.Fatalf("runs = %q; want the header, then %s and %s, newest first", out, green.Run, red.Run)
	}
	for _, w := range []string{"tiny", "branch", "feat/red", "0123456", "failed", "boom"} {
		if !strings.Contains(lines[2], w) {
			t.Errorf("runs line for the red run lacks %q: %s", w, lines[2])
		}
	}
	if !strings.Contains(lines[1], "passed") {
		t.Errorf("runs line for the green run = %s; want passed", lines[1])
	}

	out, err = runCmd(t, newRunsCmd(), "--data", data, "--branch", "feat/red", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Runs []runSummary }
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("runs -o json: %v\n%s", err, out)
	}
	if len(got.Runs) != 1 || got.Runs[0].ID != red.Run || got.Runs[0].Status != runFailed || got.Runs[0].Steps != 3 ||
		strings.Join(got.Runs[0].Failed, ",") != "boom" || strings.Join(got.Runs[0].Skipped, ",") != "after" {
		t.Errorf("runs --branch feat/red -o json = %+v; want the red run, failed at boom, after skipped", got.Runs)
	}
	if out, _ := runCmd(t, newRunsCmd(), "--data", data, "--limit", "1"); strings.Contains(out, red.Run) {
		t.Errorf("runs --limit 1 shows the older run:\n%s", out)
	}
	if out, _ := runCmd(t, newRunsCmd(), "--data", data, "--service", "other"); !strings.Contains(out, "no pipeline runs yet") {
		t.Errorf("runs --service other = %q; want none", out)
	}
}

func TestRunsTable(t *testing.T) {
	utcClock(t)
	data := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(data, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 2, 5, 9, 0, 0, 0, time.UTC)
	for _, e := range []store.Event{
		{Time: at, Kind: "run.started", Service: "contract-api", Run: "run-aaaaaaa-main-00000001", Data: map[string]any{"kind": "main", "branch": "main", "commit": strings.Repeat("a", 40), "steps": 3}},
		{Time: at.Add(42 * time.Second), Kind: "run.finished", Service: "contract-api", Run: "run-aaaaaaa-main-00000001", Data: map[string]any{"passed": true, "duration_ms": 42100}},
		{Time: at.Add(time.Minute), Kind: "run.started", Service: "contract-api", Run: "run-bbbbbbb-branch-00000002", Data: map[string]any{"kind": "branch", "branch": "feat/x", "commit": strings.Repeat("b", 40), "steps": 5}},
		{Time: at.Add(time.Minute + 10*time.Second), Kind: "run.finished", Service: "contract-api", Run: "run-bbbbbbb-branch-00000002", Data: map[string]any{"passed": false, "duration_ms": 10000, "failed": []string{"unit-tests", "sast"}}},
		{Time: at.Add(2 * time.Minute), Kind: "run.started", Service: "quote-api", Run: "run-ccccccc-hotfix-00000003", Data: map[string]any{"kind": "hotfix", "branch": "fix/null", "commit": strings.Repeat("c", 40), "steps": 2}},
		{Time: at.Add(2*time.Minute + 3*time.Second), Kind: "run.canceled", Service: "quote-api", Run: "run-ccccccc-hotfix-00000003", Message: "canceled by a newer push"},
		{Time: at.Add(2*time.Minute + 4*time.Second), Kind: "run.finished", Service: "quote-api", Run: "run-ccccccc-hotfix-00000003", Data: map[string]any{"passed": false, "duration_ms": 4000}},
	} {
		if _, err := st.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	out, err := runCmd(t, newRunsCmd(), "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "runs.golden", out)
}

func TestRunLogs(t *testing.T) {
	data := t.TempDir()
	red := runPipeline(t, data, "feat/red", hello, boom, after)
	out, err := runCmd(t, newRunCmd(), "logs", red.Run, "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"==> hello", "hello from the first step", "<== step hello passed",
		"==> boom", "about to fail", "<== step boom failed (exit 3)",
		"==> after", "<== step after skipped (needs boom)",
	}
	at := 0
	for _, w := range want {
		i := strings.Index(out[at:], w)
		if i < 0 {
			t.Fatalf("run logs lacks %q after offset %d, in order:\n%s", w, at, out)
		}
		at += i + len(w)
	}
	if strings.Contains(out, "still running") {
		t.Errorf("run logs of a finished run says it is running:\n%s", out)
	}
	// A unique prefix is enough; an unknown id says where ids are listed.
	if out, err := runCmd(t, newRunCmd(), "logs", red.Run[:len(red.Run)-3], "--data", data); err != nil || !strings.Contains(out, "hello from the first step") {
		t.Errorf("run logs <prefix> = %q, %v", out, err)
	}
	_, err = runCmd(t, newRunCmd(), "logs", "run-nope", "--data", data)
	if err == nil || !strings.Contains(err.Error(), `no pipeline run "run-nope"`) || !strings.Contains(err.Error(), "slipway runs") {
		t.Errorf("run logs run-nope: %v; want not found, pointing at slipway runs", err)
	}
}

func TestRunLogsFollow(t *testing.T) {
	data := t.TempDir()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(data, "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// The second step waits for a file the test writes once following has begun,
	// so the run is still going when run logs --follow starts.
	gate := filepath.Join(t.TempDir(), "go")
	result := make(chan error, 1)
	dir := t.TempDir()
	go func() {
		_, err := runPipelineIn(data, dir, "main", hello,
			config.Step{Name: "slow", Run: "echo slow started; while [ ! -e " + gate + " ]; do sleep 0.05; done; echo slow done", Needs: []string{"hello"}})
		result <- err
	}()
	var run string
	eventually(t, "the run to start", func() bool {
		runs, _ := listRuns(ctx, st, runFilter{})
		if len(runs) == 1 {
			run = runs[0].ID
		}
		return run != ""
	})
	var out syncBuffer
	done := startCmd(ctx, newRunCmd(), &out, "logs", run, "--follow", "--data", data)
	eventually(t, "slow's first line", func() bool { return strings.Contains(out.String(), "slow started") })
	if err := writeFileNow(gate); err != nil {
		t.Fatal(err)
	}
	if err := <-result; err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("run logs --follow did not end with the run:\n%s", out.String())
	}
	for _, w := range []string{"hello from the first step", "slow started", "slow done", "<== step slow passed"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("run logs --follow lacks %q:\n%s", w, out.String())
		}
	}
}
