package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func ptr[T any](v T) *T { return &v }

func TestLoadValid(t *testing.T) {
	got, err := Load(filepath.Join("testdata", "valid.yaml"))
	if err != nil {
		t.Fatalf("Load(valid.yaml): %v", err)
	}
	want := &Config{
		Service: "billing-api",
		Build:   Build{Main: "./cmd/billing", Health: "/healthz", PortEnv: "HTTP_PORT"},
		Pipelines: map[string]Pipeline{
			"main": {Steps: []Step{
				{Name: "build", Run: "go build ./...", Inputs: []string{"**/*.go", "go.mod"}, Timeout: Duration(10 * time.Minute)},
				{Name: "test", Run: "go test -count=1 ./...", Needs: []string{"build"}, Timeout: Duration(5 * time.Minute),
					Env: map[string]string{"GOFLAGS": "-mod=mod"}, Cache: ptr(false)},
			}},
			"hotfix": {Steps: []Step{
				{Name: "affected", Run: "go test {{.AffectedPackages}}", Timeout: Duration(10 * time.Minute)},
			}},
		},
		Environments: []Environment{
			{Name: "dev", Promotion: "auto", Replicas: 1, Smoke: []Check{{Name: "health", Method: "GET", Path: "/healthz", Expect: 200}}},
			{Name: "prod", Promotion: "manual", Replicas: 3, Rollout: &Rollout{
				Steps:    []int{5, 25, 50, 100},
				Bake:     Duration(5 * time.Minute),
				Interval: Duration(time.Second), // the router provider's default
				KeepWarm: Duration(30 * time.Minute),
				Analysis: Analysis{Provider: "router", MinRequests: 50, OnNoData: "pause", LowTraffic: "extend", MaxExtension: Duration(10 * time.Minute), Alpha: 0.01, Checks: []MetricCheck{
					{Metric: "error-rate", Max: "0.02"}, {Metric: "latency-p99", Max: "1s"},
				}},
				Hotfix: &Profile{Steps: []int{1, 10, 100}, Interval: Duration(10 * time.Second)},
			}},
		},
		Notify: Notify{Webhook: "https://hooks.example.com/slipway"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Load(valid.yaml) mismatch (-want +got):\n%s", diff)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, path := range []string{"testdata/valid.yaml", "../../examples/contract-api/slipway.yaml"} {
		t.Run(path, func(t *testing.T) {
			first, err := Load(path)
			if err != nil {
				t.Fatalf("Load(%s): %v", path, err)
			}
			out, err := yaml.Marshal(first)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			second, err := Parse("roundtrip.yaml", out)
			if err != nil {
				t.Fatalf("Parse(marshalled %s): %v\n%s", path, err, out)
			}
			// Marshal writes empty lists for unset fields; they mean the same.
			if diff := cmp.Diff(first, second, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("round trip of %s changed the config (-first +second):\n%s", path, diff)
			}
		})
	}
}

func TestExampleService(t *testing.T) {
	c, err := Load("../../examples/contract-api/slipway.yaml")
	if err != nil {
		t.Fatalf("Load(contract-api): %v", err)
	}
	prod, ok := c.Env("prod")
	if !ok || prod.Rollout == nil {
		t.Fatalf("Env(prod) = %v, %v; want an environment with a rollout", prod, ok)
	}
	normal, hotfix := prod.Rollout.Profile(false), prod.Rollout.Profile(true)
	if diff := cmp.Diff([]int{5, 25, 50, 100}, normal.Steps); diff != "" {
		t.Errorf("prod steps (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1, 5, 25, 100}, hotfix.Steps); diff != "" {
		t.Errorf("prod hotfix steps (-want +got):\n%s", diff)
	}
	if hotfix.Bake.D() != 15*time.Second || hotfix.Interval.D() != time.Second || hotfix.Bake <= normal.Bake {
		t.Errorf("hotfix bake, interval = %s, %s; want 15s, 1s (a longer bake than %s)", hotfix.Bake.D(), hotfix.Interval.D(), normal.Bake.D())
	}
	if hotfix.Analysis.MinRequests != 30 || normal.Analysis.MinRequests != 120 {
		t.Errorf("min-requests hotfix %d, standard %d; want 30, 120", hotfix.Analysis.MinRequests, normal.Analysis.MinRequests)
	}
	th, err := hotfix.Analysis.Checks[0].Threshold()
	std, _ := normal.Analysis.Checks[0].Threshold()
	if err != nil || th != 0.0025 || std != 0.01 {
		t.Errorf("error-rate threshold hotfix %v (%v), standard %v; want 0.0025, tighter than 0.01", th, err, std)
	}
	if _, ok := c.Env("qa"); ok {
		t.Errorf("Env(qa) found an environment that is not defined")
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "slipway.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing) = %v, want an error wrapping os.ErrNotExist", err)
	}
}

func TestErrorString(t *testing.T) {
	e := &Error{Problems: []Problem{
		{File: "slipway.yaml", Line: 14, Col: 9, Field: "environments[2].rollout.steps", Msg: "steps must increase and end at 100 (got [5 25 50])"},
		{Field: "service", Msg: "service is required"},
	}}
	want := "slipway.yaml:14:9: environments[2].rollout.steps: steps must increase and end at 100 (got [5 25 50])\nservice: service is required"
	if got := e.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// problemsOf parses src and returns its problems as strings.
func problemsOf(t *testing.T, src string) []string {
	t.Helper()
	_, err := Parse("slipway.yaml", []byte(src))
	if err == nil {
		return nil
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("Parse returned %T (%v), want *Error", err, err)
	}
	out := make([]string, len(ce.Problems))
	for i, p := range ce.Problems {
		out[i] = p.String()
	}
	return out
}

// minimal is a valid configuration that tests extend.
const minimal = `service: api
build: {main: ./cmd/api}
pipelines:
  main:
    steps:
      - {name: test, run: go test ./...}
`

func TestValidateByHand(t *testing.T) {
	c := &Config{Service: "Bad Name"}
	c.setDefaults()
	err := c.Validate()
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("Validate() = %v, want *Error", err)
	}
	got := strings.Split(ce.Error(), "\n")
	want := []string{
		`service: service name "Bad Name" must be lower-case letters, digits and single dashes, start with a letter and be at most 63 characters`,
		"build.main: build.main is required: the Go main package to build, e.g. ./cmd/contract-api (for another language give build.run and build.binary instead)",
		"pipelines: a main pipeline is required: it builds and tests the artifact",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Validate() problems (-want +got):\n%s", diff)
	}
}
