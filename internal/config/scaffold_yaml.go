package config

// scaffoldText is the slipway.yaml init writes. Every value is Slipway's default or
// a sane production setting; every section says what it is for in one line.
const scaffoldText = `# slipway.yaml: how Slipway checks, builds, ships and judges {{.Service}}.
# Check it with "slipway config validate"; "slipway config schema" gives editors its schema.
service: {{.Service}}

# build: how the one artifact is made; it runs unchanged in every environment.
build:
{{- if .Main}}
  main: {{.Main}}{{if .OtherMains}}    # also found, not built: {{range $i, $m := .OtherMains}}{{if $i}}, {{end}}{{$m}}{{end}}{{end}}
{{- else}}
  run: {{q .Run}}    # the build command, run with sh -c in the repository
  binary: {{q .Binary}}    # the executable it produces: what the artifact holds
{{- end}}
  health: {{.Health}}    # answers 200 once an instance is ready{{if .HealthAt}} (found in {{.HealthAt}}){{end}}

# pipelines: steps run on every push; steps without needs run in parallel.
pipelines:
  # branch: every push to a branch other than main.
  branch:
    steps:
{{- template "steps" .}}
  # main: every merge to main; when it is green the artifact is built and released.
  main:
    steps:
{{- template "steps" .}}
  # hotfix: fix/* and hotfix/* branches, {{if .Go}}testing only the packages the change reaches{{else}}checked fast{{end}}.
  hotfix:
    steps:
{{- if .Go}}
      - name: affected-tests
        run: "go test -count=1 {{"{{"}}.AffectedPackages{{"}}"}}"
{{- else}}
      - name: build
        run: {{q .Run}}
{{- end}}

# environments: in promotion order; each one promotes to the next.
environments:
  # dev: every release lands here first; smoke checks gate the way on.
  - name: dev
    smoke:
      - {name: health, path: {{.Health}}}
  # staging: the same artifact again, promoted automatically when dev is green.
  - name: staging
    smoke:
      - {name: health, path: {{.Health}}}
  # prod: a person promotes (slipway promote VERSION prod); a canary takes traffic step by step.
  - name: prod
    promotion: manual
    rollout:
      steps: [5, 25, 50, 100]    # the candidate's share of traffic at each step
      bake: 10m                  # how long each step is observed
      interval: 1s               # how often analysis judges the candidate (reading the router costs nothing)
      keep-warm: 30m             # the previous version stays up for an instant rollback
      analysis:
        provider: router         # metrics from Slipway's router; prometheus reads the same series
        min-requests: 50         # evidence a step needs before it may pass
        on-no-data: rollback     # metrics unreadable: roll back, never promote
        low-traffic: extend      # too few requests after the bake: extend it, then roll back
        alpha: 0.01              # chance of ever rolling back a candidate no worse than stable
        checks:                  # any check failing rolls back
          - {metric: error-rate, max: "1%"}
          - {metric: latency-p95, max: 250ms, max-vs-stable: 2}
      # hotfix: fixes merged from fix/* or hotfix/* branches start smaller and bake longer.
      hotfix:
        steps: [1, 5, 25, 100]
        bake: 20m
        min-requests: 20

# slo: objectives alerted on by burn rate, per environment and version: a page when the
# error budget burns 14.4x too fast over 1h and 5m (6x over 6h and 30m), a ticket at 1x over
# 3d and 6h. Uncomment to use; "slipway slo status" shows them, "slipway slo rules" writes
# them for Prometheus.
# slo:
#   - name: availability
#     objective: 99.9%            # share of requests that are not server errors
#     window: 30d                 # the rolling period the objective holds over
#     min-requests: 100           # traffic each alert window needs before it may fire
#   - name: latency
#     objective: 99%
#     latency: {threshold: 250ms} # good = answered within 250ms
{{- define "steps"}}
{{- if .Go}}
      - name: build
        run: go build ./...
      - name: unit-tests
        run: go test ./...
        needs: [build]
      - name: vet
        run: go vet ./...
{{- else}}
      - name: build
        run: {{q .Run}}
      # add your tests here, e.g. {name: unit-tests, run: make test, needs: [build]}
{{- end}}
{{- end}}
`
