package config

// Config is a service's slipway.yaml: how it is checked, built, shipped and judged.
// The zero value of every optional field is useful; each field says its default.
type Config struct {
	// Service names the service (required): lower-case letters, digits and dashes.
	Service string `yaml:"service" json:"service"`
	// Build says how the artifact's binary is compiled.
	Build Build `yaml:"build" json:"build"`
	// Pipelines maps a run kind (branch, pr, main, hotfix) to its steps.
	// The main pipeline gates the artifact; hotfix runs for fix/* and hotfix/* branches.
	Pipelines map[string]Pipeline `yaml:"pipelines" json:"pipelines"`
	// Environments in promotion order (dev, staging, prod): each one promotes to the next.
	Environments []Environment `yaml:"environments" json:"environments"`
	// Notify says where rollbacks and incidents are announced. The console always is.
	Notify Notify `yaml:"notify" json:"notify,omitempty"`
	// Artifacts says how artifacts are signed and scanned. Default: the default
	// signing key under the user's configuration directory and the OSV database
	// embedded in Slipway.
	Artifacts Artifacts `yaml:"artifacts" json:"artifacts,omitempty"`
	// Registry is the OCI repository every release's artifact is pushed to after it
	// is built, as host:port/path (e.g. registry.example.com/team/contract-api or
	// 127.0.0.1:5000/contract-api): the image by digest and its version tag, its
	// cosign signature (sha256-<hex>.sig), its SBOM and provenance attestations
	// (sha256-<hex>.att) and its SBOM (sha256-<hex>.sbom). Loopback and private
	// addresses are spoken to over HTTP, others over HTTPS; credentials come from
	// SLIPWAY_REGISTRY_USER and SLIPWAY_REGISTRY_PASSWORD or docker login.
	// Default: none (artifacts stay in the local OCI layout).
	Registry string `yaml:"registry" json:"registry,omitempty"`
	// SLOs are the service's objectives, alerted on by burn rate. Default: none.
	SLOs []SLO `yaml:"slo" json:"slo,omitempty"`
	// Telemetry says where instances send traces. Default: to Slipway, which keeps them.
	Telemetry Telemetry `yaml:"telemetry" json:"telemetry,omitempty"`
}

// Build describes how the service's binary is compiled into the artifact. Give
// exactly one of main (a Go service) or run together with binary (any language).
type Build struct {
	// Main is the Go main package to build, e.g. ./cmd/contract-api. Required unless
	// run and binary are given; no default.
	Main string `yaml:"main" json:"main,omitempty"`
	// Run is a shell command (sh -c) that builds the service in the checked-out
	// source tree, e.g. "make dist" or "cargo build --release", for services not
	// written in Go. It sees SLIPWAY_VERSION and SLIPWAY_COMMIT in its environment.
	// Requires binary; excludes main. Default: none (main is built with go build).
	Run string `yaml:"run" json:"run,omitempty"`
	// Binary is the executable run produces, relative to the source tree, e.g.
	// target/release/quote-api; it is what the artifact holds. Required with run.
	Binary string `yaml:"binary" json:"binary,omitempty"`
	// Health is the HTTP path answering 200 once an instance is ready. Default /healthz.
	Health string `yaml:"health" json:"health,omitempty"`
	// PortEnv is the environment variable that tells an instance its port. Default PORT.
	PortEnv string `yaml:"port-env" json:"port-env,omitempty"`
}

// Pipeline is a set of steps forming a DAG through their needs.
type Pipeline struct {
	Steps []Step `yaml:"steps" json:"steps"`
}

// Step is one command of a pipeline. Its result is cached by the hash of its inputs.
type Step struct {
	// Name identifies the step in its pipeline (required, unique).
	Name string `yaml:"name" json:"name"`
	// Run is the shell command (required). It is a Go text/template with
	// .Commit, .BaseRef, .Branch, .Version and .AffectedPackages.
	Run string `yaml:"run" json:"run"`
	// Needs lists steps that must pass first. Steps without needs start at once, in parallel.
	Needs []string `yaml:"needs" json:"needs,omitempty"`
	// Inputs are globs of files whose content keys the cache. Default: every tracked file.
	Inputs []string `yaml:"inputs" json:"inputs,omitempty"`
	// Env adds environment variables to the command.
	Env map[string]string `yaml:"env" json:"env,omitempty"`
	// Timeout bounds the step. Default 10m.
	Timeout Duration `yaml:"timeout" json:"timeout,omitempty"`
	// Cache turns the step cache off when false. Default true.
	Cache *bool `yaml:"cache" json:"cache,omitempty"`
}

// Environment is a named place the artifact runs.
type Environment struct {
	// Name of the environment (required, unique), e.g. dev, staging, prod.
	Name string `yaml:"name" json:"name"`
	// Promotion is how an artifact enters: auto (when the previous environment's gates
	// pass) or manual (slipway promote). Default auto.
	Promotion string `yaml:"promotion" json:"promotion,omitempty"`
	// Replicas is how many instances of a version run. Default 1.
	Replicas int `yaml:"replicas" json:"replicas,omitempty"`
	// Smoke checks run against every new deployment; all must pass for its gates.
	Smoke []Check `yaml:"smoke" json:"smoke,omitempty"`
	// Rollout, when set, moves traffic to a candidate step by step under analysis.
	// Without it a deployment replaces the previous version at once.
	Rollout *Rollout `yaml:"rollout" json:"rollout,omitempty"`
	// Policy is what an artifact must prove before it runs here: whose signature
	// it carries and which vulnerabilities its signed scan may report. Default:
	// signed by the key this Slipway signs with; no vulnerability gate.
	Policy Policy `yaml:"policy" json:"policy,omitempty"`
}

// Check is one HTTP request with an expected status code.
type Check struct {
	Name string `yaml:"name" json:"name"`
	// Method defaults to GET.
	Method string `yaml:"method" json:"method,omitempty"`
	// Path is requested on the instance (required), e.g. /healthz.
	Path string `yaml:"path" json:"path"`
	// Body is sent as application/json when set.
	Body string `yaml:"body" json:"body,omitempty"`
	// Expect is the wanted status code. Default 200.
	Expect int `yaml:"expect" json:"expect,omitempty"`
}

// Rollout is a canary strategy.
type Rollout struct {
	// Steps are the candidate's traffic weights in percent, increasing, ending at 100.
	// Default [5, 25, 50, 100].
	Steps []int `yaml:"steps" json:"steps,omitempty"`
	// Bake is how long each step is observed before the next one. Default 10m.
	Bake Duration `yaml:"bake" json:"bake,omitempty"`
	// Interval is how often analysis reads the metrics and judges the candidate.
	// Default 1s with the router provider (its counters are exact at every read) and
	// 30s with prometheus, whose scrape interval bounds how fresh a read can be: set
	// it to the scrape interval, never below. Reading more often does not raise false
	// rollbacks: the decision is valid at every read.
	Interval Duration `yaml:"interval" json:"interval,omitempty"`
	// KeepWarm is how long the previous version keeps running after a promotion,
	// so a late rollback is instant. Default 30m.
	KeepWarm Duration `yaml:"keep-warm" json:"keep-warm,omitempty"`
	// Baseline starts fresh instances of the stable version beside the candidate,
	// as many as the candidate has and with the same share of traffic, and judges
	// the candidate against them: cold starts, caches and neighbours weigh on both
	// alike. They stop when the rollout ends. Default true; false (or a baseline
	// that cannot start) judges against the stable version, latency after a warm-up.
	Baseline *bool `yaml:"baseline" json:"baseline,omitempty"`
	// Analysis says how the candidate is judged.
	Analysis Analysis `yaml:"analysis" json:"analysis"`
	// Hotfix overrides steps, bake and checks for changes that came through the
	// hotfix path: a patch release whose every releasable commit is a fix and which
	// reached main by merging a fix/* or hotfix/* branch. A perf commit, a fix
	// committed straight to main, or any feature takes the standard rollout.
	// Default: none (every release takes the standard rollout).
	Hotfix *Profile `yaml:"hotfix" json:"hotfix,omitempty"`
}

// Profile overrides parts of a rollout for a kind of change (hotfix).
type Profile struct {
	Steps    []int    `yaml:"steps" json:"steps,omitempty"`
	Bake     Duration `yaml:"bake" json:"bake,omitempty"`
	Interval Duration `yaml:"interval" json:"interval,omitempty"`
	// MinRequests replaces the analysis' minimum when set: a 1% step sees little traffic.
	MinRequests int `yaml:"min-requests" json:"min-requests,omitempty"`
	// Checks replace the rollout's checks when set.
	Checks []MetricCheck `yaml:"checks" json:"checks,omitempty"`
}

// Analysis configures how metrics are read and judged.
type Analysis struct {
	// Provider of metrics: router (the built-in router's per-version series, with the
	// instances' CPU, memory and error logs) or prometheus (the same series through a
	// Prometheus server). Default router.
	Provider string `yaml:"provider" json:"provider,omitempty"`
	// Prometheus configures the prometheus provider; required with it.
	Prometheus *Prometheus `yaml:"prometheus" json:"prometheus,omitempty"`
	// MinRequests is how many candidate requests a step needs before it may be judged
	// healthy. Default 50.
	MinRequests int `yaml:"min-requests" json:"min-requests,omitempty"`
	// OnNoData is what happens when metrics are missing or the provider fails:
	// pause (hold the step) or rollback. Missing data never promotes. Default rollback.
	OnNoData string `yaml:"on-no-data" json:"on-no-data,omitempty"`
	// LowTraffic is what a step does when its bake is over before the candidate served
	// min-requests: wait (hold the step), extend (extend the bake by up to
	// max-extension, then roll back) or fail (roll back). Default extend.
	LowTraffic string `yaml:"low-traffic" json:"low-traffic,omitempty"`
	// MaxExtension bounds how long low traffic extends a bake. Default 10m.
	MaxExtension Duration `yaml:"max-extension" json:"max-extension,omitempty"`
	// Alpha is the false-rollback bound of the whole decision: the chance that a
	// candidate no worse than the stable is ever rolled back by the checks
	// (error-rate, latency, critical-logs) and the sequential judge together,
	// however long the rollout reads. cpu and memory checks and the low-traffic rule
	// are outside it. Default 0.01.
	Alpha float64 `yaml:"alpha" json:"alpha,omitempty"`
	// LatencyFloor is the smallest latency compared with the stable version (by the
	// sequential judge and by max-vs-stable latency checks): slower only below it is
	// not a regression users feel. Default 25ms.
	LatencyFloor Duration `yaml:"latency-floor" json:"latency-floor,omitempty"`
	// Checks are the conditions the candidate must hold.
	Checks []MetricCheck `yaml:"checks" json:"checks"`
}

// MetricCheck is one condition on a candidate metric.
type MetricCheck struct {
	// Metric is error-rate (5xx share of requests), latency-p95 / latency-p99,
	// cpu (cores the candidate's instances use), memory (their resident memory) or
	// critical-logs (log lines at error level or above during a step).
	Metric string `yaml:"metric" json:"metric"`
	// Max is the highest acceptable value: a ratio for error-rate (0.01 or 1%), a
	// duration for latency (250ms), cores for cpu (0.5 or 500m), bytes for memory
	// (256Mi, 1Gi) and a count for critical-logs (0). Optional when MaxVsStable is set.
	Max string `yaml:"max" json:"max,omitempty"`
	// MaxVsStable bounds the candidate relative to the stable version serving at the
	// same time: 1.5 allows half as much again as stable. Zero turns it off.
	MaxVsStable float64 `yaml:"max-vs-stable" json:"max-vs-stable,omitempty"`
}

// Prometheus says how the prometheus provider reaches a Prometheus server.
type Prometheus struct {
	// Address of the server (required), e.g. http://prometheus:9090.
	Address string `yaml:"address" json:"address"`
	// Timeout bounds one read. Default 10s.
	Timeout Duration `yaml:"timeout" json:"timeout,omitempty"`
	// Queries override the default PromQL (templates over .Service, .Env, .Version)
	// that read the series Slipway's router exports.
	Queries PromQueries `yaml:"queries" json:"queries,omitempty"`
}

// PromQueries are PromQL templates; empty ones keep the defaults.
type PromQueries struct {
	Requests string `yaml:"requests" json:"requests,omitempty"`
	Errors   string `yaml:"errors" json:"errors,omitempty"`
	Buckets  string `yaml:"buckets" json:"buckets,omitempty"`
	Sum      string `yaml:"sum" json:"sum,omitempty"`
	Up       string `yaml:"up" json:"up,omitempty"`
}

// Notify configures announcements beyond the console.
type Notify struct {
	// Webhook receives a JSON POST for every rollback and incident. Supports ${ENV}.
	Webhook string `yaml:"webhook" json:"webhook,omitempty"`
	// Slack keeps a channel per incident (see SlackNotify).
	Slack *SlackNotify `yaml:"slack" json:"slack,omitempty"`
	// PagerDuty pages for incidents and records deploys (see PagerDutyNotify).
	PagerDuty *PagerDutyNotify `yaml:"pagerduty" json:"pagerduty,omitempty"`
}
