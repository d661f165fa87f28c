package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/executor/local"
	"github.com/slipway/slipway/internal/pipeline"
	"github.com/slipway/slipway/internal/store"
	"github.com/slipway/slipway/internal/vcs"
)

// module writes a tiny Go module into a fresh git repository and commits it.
func module(t *testing.T) (dir, commit string) {
	t.Helper()
	dir = t.TempDir()
	files := map[string]string{
		"go.mod":            "module example.com/tiny\n\ngo 1.26\n",
		"rule/rule.go":      "package rule\n\n// Valid reports whether n is a valid amount.\nfunc Valid(n int) bool { return n > 0 }\n",
		"rule/rule_test.go": "package rule\n\nimport \"testing\"\n\nfunc TestValid(t *testing.T) {\n\tif !Valid(1) || Valid(0) {\n\t\tt.Fatal(\"Valid is wrong\")\n\t}\n}\n",
		"docs/guide.md":     "# Guide\n",
		"cmd/tiny/main.go":  "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.com/tiny/rule\"\n)\n\nfunc main() { fmt.Println(rule.Valid(1)) }\n",
		".gitignore":        "/bin/\n",
	}
	for name, content := range files {
		writeFile(t, dir, name, content)
	}
	r, err := vcs.Init(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	commit, err = r.CommitAll(context.Background(), "feat(rule): add validation", time.Date(2026, 2, 2, 9, 12, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return dir, commit
}

func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newRunner(t *testing.T, out *bytes.Buffer) *pipeline.Runner {
	return &pipeline.Runner{Exec: &local.Executor{}, CacheDir: t.TempDir(), Out: out, Parallel: 4}
}

func spec(dir, commit string, p ...config.Step) pipeline.Spec {
	return pipeline.Spec{Service: "tiny", Kind: "branch", Branch: "feat/x", Commit: commit, Dir: dir,
		Pipeline: config.Pipeline{Steps: p}, Vars: pipeline.Vars{Commit: commit, Branch: "feat/x", AffectedPackages: "./..."}}
}

func byName(res pipeline.Result) map[string]pipeline.StepResult {
	m := map[string]pipeline.StepResult{}
	for _, s := range res.Steps {
		m[s.Name] = s
	}
	return m
}

type summary struct {
	Status string
	Cached bool
}

func summarize(res pipeline.Result) map[string]summary {
	m := map[string]summary{}
	for _, s := range res.Steps {
		m[s.Name] = summary{s.Status, s.Cached}
	}
	return m
}

func TestRunGoModuleAndCache(t *testing.T) {
	dir, commit := module(t)
	ctx := context.Background()
	var out bytes.Buffer
	r := newRunner(t, &out)
	journal, err := store.Open(ctx, filepath.Join(t.TempDir(), "slipway.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { journal.Close() })
	r.Journal = journal
	s := spec(dir, commit,
		config.Step{Name: "build", Run: "go build -o bin/ ./cmd/tiny && ./bin/tiny", Inputs: []string{"go.mod", "**/*.go"}},
		config.Step{Name: "unit-tests", Run: "go test {{.AffectedPackages}}", Needs: []string{"build"}, Inputs: []string{"go.mod", "**/*.go"}},
		config.Step{Name: "docs", Run: "test -s docs/guide.md", Inputs: []string{"docs/**"}},
		config.Step{Name: "vet", Run: "go vet ./...", Env: map[string]string{"GOFLAGS": "-buildvcs=false"}},
	)

	first, err := r.Run(ctx, s)
	if err != nil {
		t.Fatalf("first run: %v\n%s", err, out.String())
	}
	if !first.Passed {
		t.Fatalf("first run failed:\n%s", out.String())
	}
	want := map[string]summary{"build": {"passed", false}, "unit-tests": {"passed", false}, "docs": {"passed", false}, "vet": {"passed", false}}
	if diff := cmp.Diff(want, summarize(first)); diff != "" {
		t.Errorf("first run (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(out.String(), "pipeline branch feat/x @"+commit[:7]+": 4 steps\n") {
		t.Errorf("progress does not start with the header:\n%s", out.String())
	}
	log, err := os.ReadFile(byName(first)["unit-tests"].Log)
	if err != nil || !strings.Contains(string(log), "ok  \texample.com/tiny/rule") {
		t.Errorf("unit-tests log = %q, %v; want go test's ok line", log, err)
	}

	// Same inputs: everything comes from the cache, logs included.
	out.Reset()
	second, err := r.Run(ctx, s)
	if err != nil || !second.Passed {
		t.Fatalf("second run: %v\n%s", err, out.String())
	}
	want = map[string]summary{"build": {"passed", true}, "unit-tests": {"passed", true}, "docs": {"passed", true}, "vet": {"passed", true}}
	if diff := cmp.Diff(want, summarize(second)); diff != "" {
		t.Errorf("second run (-want +got):\n%s", diff)
	}
	if !regexp.MustCompile(`(?m)^  ✓ unit-tests cached \(\d+\.\ds, key [0-9a-f]{8}\)$`).MatchString(out.String()) {
		t.Errorf("progress has no cached line for unit-tests:\n%s", out.String())
	}
	cachedLog, err := os.ReadFile(byName(second)["unit-tests"].Log)
	if err != nil || !bytes.Equal(cachedLog, log) {
		t.Errorf("cached log = %q, %v; want the first run's log", cachedLog, err)
	}

	// A Go change misses the cache for the Go steps only (the build output in the
	// ignored bin/ is not an input of anything).
	writeFile(t, dir, "rule/rule.go", "package rule\n\n// Valid reports whether n is a valid amount.\nfunc Valid(n int) bool { return n >= 1 }\n")
	out.Reset()
	third, err := r.Run(ctx, s)
	if err != nil || !third.Passed {
		t.Fatalf("third run: %v\n%s", err, out.String())
	}
	want = map[string]summary{"build": {"passed", false}, "unit-tests": {"passed", false}, "docs": {"passed", true}, "vet": {"passed", false}}
	if diff := cmp.Diff(want, summarize(third)); diff != "" {
		t.Errorf("run after a Go change (-want +got):\n%s", diff)
	}

	events, err := journal.Events(ctx, store.Filter{Run: second.Run})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind)
		if e.Kind == "step.finished" && (e.Data["cached"] != true || e.Data["status"] != "passed") {
			t.Errorf("second run step event data = %v, want cached passed", e.Data)
		}
		if e.Service != "tiny" {
			t.Errorf("event %s service = %q, want tiny", e.Kind, e.Service)
		}
	}
	wantKinds := []string{"run.started", "step.finished", "step.finished", "step.finished", "step.finished", "run.finished"}
	if diff := cmp.Diff(wantKinds, kinds); diff != "" {
		t.Errorf("journal of the second run (-want +got):\n%s", diff)
	}
}

func TestRunParallel(t *testing.T) {
	dir, commit := module(t)
	s := spec(dir, commit,
		config.Step{Name: "a", Run: "sleep 1"},
		config.Step{Name: "b", Run: "sleep 1"},
		config.Step{Name: "after", Run: "true", Needs: []string{"a", "b"}},
	)
	overlap := func(x, y pipeline.StepResult) bool {
		return x.Started.Before(y.Finished) && y.Started.Before(x.Finished)
	}
	tests := []struct {
		parallel int
		want     bool
	}{{2, true}, {1, false}}
	for _, tt := range tests {
		var out bytes.Buffer
		r := newRunner(t, &out)
		r.Parallel = tt.parallel
		res, err := r.Run(context.Background(), s)
		if err != nil || !res.Passed {
			t.Fatalf("Parallel=%d: %v\n%s", tt.parallel, err, out.String())
		}
		m := byName(res)
		if got := overlap(m["a"], m["b"]); got != tt.want {
			t.Errorf("Parallel=%d: a [%v, %v] and b [%v, %v] overlap = %v, want %v", tt.parallel,
				m["a"].Started, m["a"].Finished, m["b"].Started, m["b"].Finished, got, tt.want)
		}
		if m["after"].Started.Before(m["a"].Finished) || m["after"].Started.Before(m["b"].Finished) {
			t.Errorf("Parallel=%d: after started at %v, before its needs finished", tt.parallel, m["after"].Started)
		}
	}
}

func TestRunFailureSkipsDependants(t *testing.T) {
	dir, commit := module(t)
	var out bytes.Buffer
	r := newRunner(t, &out)
	s := spec(dir, commit,
		config.Step{Name: "lint", Run: "echo 'rule/rule.go:3: exported func lacks a test'; exit 1"},
		config.Step{Name: "build", Run: "go build ./..."},
		config.Step{Name: "package", Run: "true", Needs: []string{"lint", "build"}},
		config.Step{Name: "publish", Run: "true", Needs: []string{"package"}},
		config.Step{Name: "unit-tests", Run: "go test ./...", Needs: []string{"build"}},
	)
	for range 2 {
		out.Reset()
		res, err := r.Run(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		if res.Passed {
			t.Fatalf("run passed with a failing step:\n%s", out.String())
		}
		m := byName(res)
		if m["lint"].Status != "failed" || m["lint"].ExitCode != 1 || m["lint"].Cached {
			t.Errorf("lint = %+v, want failed with exit 1, never cached", m["lint"])
		}
		for _, name := range []string{"package", "publish"} {
			if m[name].Status != "skipped" || m[name].Note != "needs lint" {
				t.Errorf("%s = %s (%s), want skipped (needs lint)", name, m[name].Status, m[name].Note)
			}
		}
		if m["unit-tests"].Status != "passed" {
			t.Errorf("unit-tests = %s: an independent branch must keep running", m["unit-tests"].Status)
		}
		for _, want := range []string{
			"  ✗ lint       ", "(exit 1) log: " + m["lint"].Log,
			"      | rule/rule.go:3: exported func lacks a test",
			"  - publish    skipped (needs lint)",
			"pipeline failed in ",
		} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("progress lacks %q:\n%s", want, out.String())
			}
		}
	}
}

func TestRunTimeoutAndCancel(t *testing.T) {
	dir, commit := module(t)
	var out bytes.Buffer
	r := newRunner(t, &out)
	res, err := r.Run(context.Background(), spec(dir, commit,
		config.Step{Name: "slow", Run: "sleep 30", Timeout: config.Duration(300 * time.Millisecond)},
		config.Step{Name: "next", Run: "true", Needs: []string{"slow"}},
	))
	if err != nil {
		t.Fatal(err)
	}
	m := byName(res)
	if m["slow"].Status != "failed" || !strings.Contains(m["slow"].Note, "timed out after 300ms") || m["next"].Status != "skipped" {
		t.Errorf("timeout: slow = %+v, next = %+v", m["slow"], m["next"])
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	marker := filepath.Join(dir, "started")
	done := make(chan struct{})
	var cres pipeline.Result
	var cerr error
	go func() {
		defer close(done)
		cres, cerr = r.Run(ctx, spec(dir, commit,
			config.Step{Name: "long", Run: "touch started; sleep 30"},
			config.Step{Name: "after", Run: "true", Needs: []string{"long"}},
		))
	}()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(marker); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("step never started")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not return after cancellation")
	}
	if !errors.Is(cerr, context.Canceled) {
		t.Errorf("Run error = %v, want context.Canceled", cerr)
	}
	m = byName(cres)
	if cres.Passed || m["long"].Status != "failed" || m["after"].Status != "skipped" {
		t.Errorf("cancelled run: passed=%v long=%+v after=%+v", cres.Passed, m["long"], m["after"])
	}
}

func TestRunBadInput(t *testing.T) {
	dir, commit := module(t)
	r := newRunner(t, nil)
	tests := []struct {
		name string
		s    pipeline.Spec
		want string
	}{
		{"template", spec(dir, commit, config.Step{Name: "unit-tests", Run: "go test {{.Packages}}"}), `step "unit-tests": run command template`},
		{"cycle", spec(dir, commit, config.Step{Name: "a", Run: "true", Needs: []string{"a"}}), `step "a" needs itself`},
		{"dir", spec(filepath.Join(dir, "missing"), commit, config.Step{Name: "a", Run: "true"}), "does not exist"},
	}
	for _, tt := range tests {
		_, err := r.Run(context.Background(), tt.s)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Run error = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
	// An input glob that matches nothing fails the step and says so in its log.
	var out bytes.Buffer
	r.Out = &out
	res, err := r.Run(context.Background(), spec(dir, commit, config.Step{Name: "api", Run: "true", Inputs: []string{"api/*.yaml"}}))
	if err != nil {
		t.Fatal(err)
	}
	if res.Passed || !strings.Contains(out.String(), `input glob "api/*.yaml" matches no file`) {
		t.Errorf("run with an empty input glob: passed=%v\n%s", res.Passed, out.String())
	}
}
