package config

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{
			name: "syntax error",
			src:  "service: [api\n",
			want: []string{"slipway.yaml:1:10: sequence end token ']' not found"},
		},
		{
			name: "unknown fields everywhere, with suggestions",
			src: minimal + `environments:
  - name: dev
    replica: 2
    smoke:
      - {path: /healthz, methd: GET}
colour: blue
`,
			want: []string{
				`slipway.yaml:9:5: environments[0].replica: unknown field "replica": did you mean "replicas"?`,
				`slipway.yaml:11:26: environments[0].smoke[0].methd: unknown field "methd": did you mean "method"?`,
				`slipway.yaml:12:1: colour: unknown field "colour": valid fields are artifacts, build, environments, notify, pipelines, registry, service, slo, telemetry`,
			},
		},
		{
			name: "unknown field and invalid value together",
			src:  minimal + "environments:\n  - name: prod\n    replica: 2\n    promotion: never\n",
			want: []string{
				`slipway.yaml:9:5: environments[0].replica: unknown field "replica": did you mean "replicas"?`,
				`slipway.yaml:10:16: environments[0].promotion: unknown promotion "never": valid values are auto, manual`,
			},
		},
		{
			name: "wrong types",
			src: minimal + `environments:
  - name: prod
    replicas: 1.5
    rollout:
      bake: 10
      steps: five
`,
			want: []string{
				"slipway.yaml:9:15: environments[0].replicas: must be a whole number, got 1.5",
				`slipway.yaml:11:13: environments[0].rollout.bake: invalid duration "10": use a number with a unit, like 90s or 10m`,
				`slipway.yaml:12:14: environments[0].rollout.steps: must be a list, got "five"`,
			},
		},
		{
			name: "repeated key",
			src:  minimal + "service: other\n",
			want: []string{`slipway.yaml:7:1: mapping key "service" already defined at [1:1]`},
		},
		{
			name: "empty file",
			src:  "",
			want: []string{
				"slipway.yaml:1:1: service: service is required: name the service, e.g. contract-api",
				"slipway.yaml:1:1: build.main: build.main is required: the Go main package to build, e.g. ./cmd/contract-api (for another language give build.run and build.binary instead)",
				"slipway.yaml:1:1: pipelines: a main pipeline is required: it builds and tests the artifact",
			},
		},
		{
			name: "service and build",
			src: `service: Contract_API
build:
  health: healthz
pipelines:
  main:
    steps: [{name: t, run: go test ./...}]
`,
			want: []string{
				`slipway.yaml:1:10: service: service name "Contract_API" must be lower-case letters, digits and single dashes, start with a letter and be at most 63 characters`,
				"slipway.yaml:2:1: build.main: build.main is required: the Go main package to build, e.g. ./cmd/contract-api (for another language give build.run and build.binary instead)",
				`slipway.yaml:3:11: build.health: health path "healthz" must start with /, e.g. /healthz`,
			},
		},
		{
			name: "build run and binary",
			src: `service: api
build:
  main: ./cmd/api
  run: make dist
  binary: /usr/bin/api
  health: ""
pipelines: {main: {steps: [{name: t, run: make test}]}}
`,
			want: []string{
				"slipway.yaml:4:8: build.run: build.run and build.main are exclusive: give build.main for a Go service, or build.run and build.binary for any other, not both",
				"slipway.yaml:5:11: build.binary: build.binary and build.main are exclusive: give build.main for a Go service, or build.run and build.binary for any other, not both",
				`slipway.yaml:5:11: build.binary: binary "/usr/bin/api" must be relative to the repository, e.g. out/app`,
			},
		},
		{
			name: "build run without binary",
			src:  "service: api\nbuild:\n  run: cargo build --release\npipelines: {main: {steps: [{name: t, run: cargo test}]}}\n",
			want: []string{
				"slipway.yaml:2:1: build.binary: build.run needs build.binary: the executable the command produces, relative to the repository, e.g. target/release/app",
			},
		},
		{
			name: "build binary without run",
			src:  "service: api\nbuild:\n  binary: ../api\npipelines: {main: {steps: [{name: t, run: x}]}}\n",
			want: []string{
				"slipway.yaml:2:1: build.run: build.binary needs build.run: the shell command that builds ../api, e.g. make dist",
				`slipway.yaml:3:11: build.binary: binary "../api" must name a file inside the repository, e.g. out/app`,
			},
		},
		{
			name: "build run and binary valid",
			src:  "service: api\nbuild: {run: make dist, binary: dist/api, health: /health/ready}\npipelines: {main: {steps: [{name: t, run: make test}]}}\n",
		},
		{
			name: "pipelines",
			src: `service: api
build: {main: ./cmd/api}
pipelines:
  nightly:
    steps: [{name: a, run: x}]
  branch:
    steps:
      - {name: build, run: go build ./...}
      - {name: build, run: go vet ./...}
      - {run: echo}
      - {name: test, run: "go test {{.Packages}}", needs: [lint, build]}
      - {name: tpl, run: "echo {{.Commit"}
  hotfix:
    steps:
      - {name: a, run: x, needs: [c]}
      - {name: b, run: x, needs: [a]}
      - {name: c, run: x, needs: [b, c]}
`,
			want: []string{
				"slipway.yaml:3:1: pipelines: a main pipeline is required: it builds and tests the artifact",
				"slipway.yaml:4:3: pipelines.nightly: unknown pipeline kind \"nightly\": valid kinds are branch, pr, main, hotfix",
				"slipway.yaml:9:16: pipelines.branch.steps[1].name: step name \"build\" is already used by steps[0]: names must be unique",
				"slipway.yaml:10:9: pipelines.branch.steps[2]: step name is required",
				"slipway.yaml:11:27: pipelines.branch.steps[3].run: run template: run:1:10: executing \"run\" at <.Packages>: can't evaluate field Packages in type config.StepVars; the fields are .Commit, .BaseRef, .Branch, .Version, .AffectedPackages",
				"slipway.yaml:11:60: pipelines.branch.steps[3].needs[0]: step \"test\" needs \"lint\", which is not a step of this pipeline",
				"slipway.yaml:12:26: pipelines.branch.steps[4].run: run is not a valid template: run:1: unclosed action",
				"slipway.yaml:15:34: pipelines.hotfix.steps[0].needs: steps need each other in a cycle (a -> c -> b -> a): remove one of these needs",
				"slipway.yaml:17:38: pipelines.hotfix.steps[2].needs[1]: step \"c\" needs itself",
			},
		},
		{
			name: "environments and smoke checks",
			src: minimal + `environments:
  - name: dev
    promotion: sometimes
    replicas: 11
    smoke:
      - {path: healthz, method: FETCH, expect: 42}
      - {name: nothing}
  - name: dev
  - {replicas: -1}
`,
			want: []string{
				"slipway.yaml:9:16: environments[0].promotion: unknown promotion \"sometimes\": valid values are auto, manual",
				"slipway.yaml:10:15: environments[0].replicas: replicas must be between 1 and 10 (got 11)",
				"slipway.yaml:12:16: environments[0].smoke[0].path: path \"healthz\" must start with /",
				"slipway.yaml:12:33: environments[0].smoke[0].method: unknown HTTP method \"FETCH\": valid methods are GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
				"slipway.yaml:12:48: environments[0].smoke[0].expect: expect must be an HTTP status code between 100 and 599 (got 42)",
				"slipway.yaml:13:9: environments[0].smoke[1]: smoke check path is required, e.g. /healthz",
				"slipway.yaml:14:11: environments[1].name: environment \"dev\" is already defined at environments[0]: names must be unique",
				"slipway.yaml:15:5: environments[2]: environment name is required, e.g. dev, staging or prod",
				"slipway.yaml:15:16: environments[2].replicas: replicas must be between 1 and 10 (got -1)",
			},
		},
		{
			name: "rollout",
			src: minimal + `environments:
  - name: dev
  - name: staging
  - name: prod
    rollout:
      steps: [5, 25, 50]
      bake: 30s
      interval: 1m
      analysis:
        provider: datadog
        min-requests: -5
        on-no-data: promote
        checks:
          - {metric: error-rate, max: 5}
          - {metric: latency-p95, max: fast}
          - {metric: saturation, max: "90%"}
          - {metric: error-rate, max: "1%"}
      hotfix:
        steps: [0, 100]
        interval: 40s
        checks: [{metric: latency-p99}]
`,
			want: []string{
				"slipway.yaml:12:14: environments[2].rollout.steps: steps must increase and end at 100 (got [5 25 50])",
				"slipway.yaml:14:17: environments[2].rollout.interval: interval (1m0s) must not exceed bake (30s): analysis must judge each step at least once",
				"slipway.yaml:16:19: environments[2].rollout.analysis.provider: unknown metrics provider \"datadog\": valid providers are router, prometheus",
				"slipway.yaml:17:23: environments[2].rollout.analysis.min-requests: min-requests must be at least 1 (got -5)",
				"slipway.yaml:18:21: environments[2].rollout.analysis.on-no-data: unknown on-no-data \"promote\": valid values are pause, rollback (missing data never promotes)",
				"slipway.yaml:20:39: environments[2].rollout.analysis.checks[0].max: max \"5\" is outside 0..1: an error rate is a ratio, write 0.01 or 1%",
				"slipway.yaml:21:40: environments[2].rollout.analysis.checks[1].max: max \"fast\" is not a duration: write a latency like 250ms or 1.5s",
				"slipway.yaml:22:22: environments[2].rollout.analysis.checks[2].metric: unknown metric \"saturation\": valid metrics are error-rate, latency-p95, latency-p99, cpu, memory, critical-logs",
				"slipway.yaml:23:22: environments[2].rollout.analysis.checks[3].metric: metric error-rate is already checked at [0]: keep one threshold per metric",
				"slipway.yaml:25:16: environments[2].rollout.hotfix.steps: steps are percentages of traffic from 1 to 100 (got [0 100])",
				"slipway.yaml:26:19: environments[2].rollout.hotfix.interval: hotfix interval (40s) must not exceed hotfix bake (30s): analysis must judge each step at least once",
				"slipway.yaml:27:18: environments[2].rollout.hotfix.checks[0].max: max or max-vs-stable is required: the highest acceptable latency-p99",
			},
		},
		{
			name: "prometheus provider",
			src: minimal + `environments:
  - name: prod
    rollout:
      analysis:
        provider: prometheus
        prometheus: {address: "prometheus:9090", queries: {up: "up{job={{.Service}"}}
        checks:
          - {metric: latency-p95, max-vs-stable: 0.5}
          - {metric: memory, max: 512Mi, max-vs-stable: 1.5}
`,
			want: []string{
				"slipway.yaml:12:31: environments[0].rollout.analysis.prometheus.address: address \"prometheus:9090\" must be an http(s) URL with a host, e.g. http://prometheus:9090",
				"slipway.yaml:12:64: environments[0].rollout.analysis.prometheus.queries.up: query is not a valid template: template: up:1: bad character U+007D '}'",
				"slipway.yaml:14:50: environments[0].rollout.analysis.checks[0].max-vs-stable: max-vs-stable 0.5 must be at least 1 (1.5 allows half as much again as stable), or 0 for off",
			},
		},
		{
			name: "rollout without checks",
			src: minimal + `environments:
  - name: prod
    rollout: {}
`,
			want: []string{
				"slipway.yaml:9:5: environments[0].rollout.analysis.checks: analysis needs at least one check, e.g. {metric: error-rate, max: 1%}: without one a candidate could never fail",
			},
		},
		{
			name: "webhook",
			src:  minimal + "notify:\n  webhook: ${SLIPWAY_TEST_UNSET_HOOK}/x\n",
			want: []string{
				`slipway.yaml:8:12: notify.webhook: webhook "${SLIPWAY_TEST_UNSET_HOOK}/x" uses ${SLIPWAY_TEST_UNSET_HOOK}, not set in the environment: set it, or write the URL`,
			},
		},
		{
			name: "webhook not a URL",
			src:  minimal + "notify:\n  webhook: ftp://example.com\n",
			want: []string{
				`slipway.yaml:8:12: notify.webhook: webhook "ftp://example.com" must be an http or https URL once expanded, like https://hooks.example.com/slipway`,
			},
		},
		{
			name: "registry without a repository",
			src:  minimal + "registry: 127.0.0.1:5000\n",
			want: []string{
				`slipway.yaml:7:11: registry: registry "127.0.0.1:5000": name a repository after the host: give host:port/repository, e.g. 127.0.0.1:5000/contract-api`,
			},
		},
		{
			name: "registry with a tag",
			src:  minimal + "registry: registry.example.com/contract-api:1.0\n",
			want: []string{
				`slipway.yaml:7:11: registry: registry "registry.example.com/contract-api:1.0": name a repository, without a tag or digest`,
			},
		},
		{
			name: "two documents",
			src:  minimal + "---\nservice: again\n",
			want: []string{"slipway.yaml:8:1: a second YAML document starts here (document 2): slipway.yaml holds exactly one"},
		},
		{
			name: "valid",
			src:  minimal,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemsOf(t, tt.src)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse problems (-want +got):\n%s", diff)
			}
		})
	}
}
