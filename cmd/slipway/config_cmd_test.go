package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func runConfigCmd(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := newConfigCmd()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	cmd.SetArgs(args)
	err = cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestConfigValidate(t *testing.T) {
	example := filepath.Join("..", "..", "examples", "contract-api", "slipway.yaml")
	out, notices, err := runConfigCmd(t, "validate", example)
	if err != nil {
		t.Fatalf("config validate %s: %v", example, err)
	}
	want := example + ": ok (service contract-api, 4 pipelines, 3 environments)\n"
	if out != want {
		t.Errorf("config validate output = %q, want %q", out, want)
	}
	// contract-api has a pr pipeline: valid, but not run yet, and said so with its place.
	if !regexp.MustCompile(`^notice: slipway.yaml:\d+:\d+: pipelines.pr: pull-request pipelines are not run yet`).MatchString(notices) {
		t.Errorf("config validate stderr = %q, want a located notice that pr pipelines are not run yet", notices)
	}

	bad := filepath.Join(t.TempDir(), "slipway.yaml")
	src := "service: api\nbuild: {main: ./cmd/api}\npipelines:\n  main:\n    steps: [{name: t, run: x}]\nenvironments:\n  - name: prod\n    rollout:\n      steps: [5, 25, 50]\n      analysis: {provider: datadog, checks: [{metric: error-rate, max: 1%}]}\n"
	if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := runConfigCmd(t, "validate", bad)
	if err == nil || !strings.HasSuffix(err.Error(), ": 2 problems") {
		t.Errorf("config validate (bad) error = %v, want 2 problems", err)
	}
	wantLines := []string{
		"slipway.yaml:9:14: environments[0].rollout.steps: steps must increase and end at 100 (got [5 25 50])",
		`slipway.yaml:10:28: environments[0].rollout.analysis.provider: unknown metrics provider "datadog": valid providers are router, prometheus`,
	}
	if got := strings.Split(strings.TrimSpace(stderr), "\n"); strings.Join(got, "\n") != strings.Join(wantLines, "\n") {
		t.Errorf("config validate (bad) stderr =\n%s\nwant\n%s", stderr, strings.Join(wantLines, "\n"))
	}

	if _, _, err := runConfigCmd(t, "validate", filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Errorf("config validate (missing file) succeeded")
	}
}

func TestConfigSchema(t *testing.T) {
	out, _, err := runConfigCmd(t, "schema")
	if err != nil {
		t.Fatalf("config schema: %v", err)
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatalf("config schema printed invalid JSON: %v", err)
	}
	if s["$schema"] != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema = %v, want draft 2020-12", s["$schema"])
	}
}
