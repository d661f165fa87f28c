package analysis

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Sequential is an anytime-valid judge of a candidate against the stable version
// serving at the same time. It may be asked after every scrape without inflating
// false alarms: under the null hypothesis "the candidate is no worse than the stable"
// the probability that it ever fails the candidate, however often it looks and for
// however long, is at most Alpha. So it rolls back as soon as the evidence is enough,
// not at the end of a fixed interval.
//
// # Method
//
// The judge keeps an e-process: a non-negative quantity whose expectation under the
// null is at most 1 at any stopping time. By Ville's inequality it exceeds 1/Alpha
// with probability at most Alpha. It is a weighted average of per-stream e-processes
// (an average of e-processes is one), so one threshold covers every stream and every
// check of the rollout (weights before normalisation: errors 0.6, latency 0.15, log
// errors 0.05, per-route errors 0.1, the checks 0.1 shared equally, error-slo 0.1):
//
//   - checks (see Checks and seq_checks.go): a bound fails only with evidence that
//     the candidate is over it - a Bernoulli mixture test of the error rate against
//     max, or of the share of requests slower than the bound against the 5% (p95) or
//     1% (p99) it allows - and, in the same e-value, that it is worse than the
//     stable: the part's e-value is the smaller of the two tests' (an
//     intersection-union test), so under "no worse than the stable" it is bounded by
//     an e-process whatever the bound.
//   - routes: the errors test below on each route's traffic, for up to maxRoutes
//     routes, each with an equal share of the weight.
//   - errors: errors are conditioned on where they
//     land. In an interval where the candidate served n_c requests and the stable n_s,
//     each error is the candidate's with probability s = n_c/(n_c+n_s) when both
//     versions fail at the same rate, and r*s/(r*s+1-s) when the candidate fails r
//     times as often. The interval's likelihood ratio against r = 1 is
//     r^e_c / (r*s+1-s)^(e_c+e_s). Its expectation is at most 1 for every true ratio
//     <= 1 (the family has monotone likelihood ratio, and with per-request Bernoulli
//     errors the exact conditional law is hypergeometric, smaller than the binomial in
//     convex order), so the running product is a test supermartingale for each r,
//     and so is a mixture over r. The background error rate cancels: only the
//     candidate's share of the errors matters.
//   - log-errors: the same test on error-level log lines per version.
//   - latency: for each bucket bound b of the router's histogram,
//     "slower than b" is an event, tested like errors: a regression moves candidate
//     requests above b. Bounds are tested when, on the stable's earlier traffic, at
//     most a quarter of requests were slower (a predictable choice, so validity holds);
//     the bounds share the weight equally. The null is "the candidate is not slower
//     than the stable at any bound"; a faster candidate is not a failure. A bound
//     counts only when more than 5% of the candidate's requests are slower than it
//     (the smaller of the two e-values again), and only after LatencyWarmup.
//   - error-slo (only with MaxErrorRate and no error-rate check): the candidate's own
//     error rate against the SLO (Bernoulli p <= MaxErrorRate against
//     p = m*MaxErrorRate for m in 1.25..50, equal weights), and worse than the
//     stable.
//
// The prior over ratios is the choice that sets the speed. Half of each relative
// stream's weight is uniform on the candidate's share of the excess events (the
// "no idea" prior on the natural scale, which also weights large ratios well); the
// other half sits on r = 1000, a failure mode the stable does not have at all. That is
// the most common deploy regression (the new code throws where the old one did not)
// and the one that hurts users fastest, so evidence for it must need as few failed
// requests as possible: with the stable clean and the candidate at 5% of traffic, each
// candidate error multiplies that term by about 20. Moderate regressions pay for it
// with half their prior weight: log 2, less than one error's worth of evidence.
//
// Latency uses the bucket counts the router already exports, so it works unchanged
// with a Prometheus provider; the paper's Dirichlet-multinomial over buckets was not
// used because its null ("same distribution") also fails a candidate that got faster.
//
// The approach follows Lindon et al., "Rapid Regression Detection in Software
// Deployments through Sequential Testing" (KDD 2022): counts of two versions are
// compared through an e-process built from a mixture of likelihood ratios, and
// conditioning on the total count removes the unknown background rate. A discrete
// grid over ratios stands in for a conjugate prior because the traffic share changes
// from interval to interval and between steps.
//
// The zero value is ready to use: Alpha 0.01, MinRequests 100, LowTraffic extend by up
// to ten minutes.
type Sequential struct {
	// Alpha bounds the probability of failing a candidate that is no worse than the
	// stable, over the whole rollout. Default 0.01.
	Alpha float64 `json:"alpha,omitempty"`
	// MaxErrorRate is the error-rate SLO (0.01 = 1%) for the error-slo stream; zero
	// turns that stream off.
	MaxErrorRate float64 `json:"max_error_rate,omitempty"`
	// MinRequests is the candidate traffic a step needs before it can pass. Default 100.
	MinRequests int `json:"min_requests,omitempty"`
	// LowTraffic is what happens when the bake is over and MinRequests is not met.
	// Default extend.
	LowTraffic LowTraffic `json:"low_traffic,omitempty"`
	// MaxExtension bounds the extension of the bake under LowTraffic extend; after it
	// the step fails. Default 10m.
	MaxExtension time.Duration `json:"max_extension,omitempty"`
	// LatencyFloor is the smallest latency the latency stream tests: a candidate slower
	// only below it (a cold connection pool, a sub-millisecond shift) is not a
	// regression users feel. Default 25ms.
	LatencyFloor time.Duration `json:"latency_floor,omitempty"`
	// Checks are the rollout's bounds (see Check). error-rate, latency-p95/p99 and
	// critical-logs are judged here, with evidence, under the same alpha; cpu and
	// memory are measurements that Judge compares directly.
	Checks []Check `json:"checks,omitempty"`
	// LatencyWarmup is how long the candidate serves before its latency counts as
	// evidence (the latency stream and latency checks): a new process is slow for
	// its first requests, and that is not the regression to roll back. Errors count
	// from the first request. Time is the sum of the reads' windows (one second per
	// read when a provider gives no timestamps). Default 30s.
	LatencyWarmup time.Duration `json:"latency_warmup,omitempty"`
	// Baseline says the reference series pools the stable with a baseline of it
	// (latency the baseline's alone): reasons name what the candidate was compared
	// with. It is the rollout's to set on every pass, never stored.
	Baseline bool `json:"-"`
}

// against names what a stream compares the candidate with, for reasons: the
// stable, or with a baseline the baseline (latency) or both (counts).
func (q Sequential) against(stream string) string {
	switch {
	case !q.Baseline:
		return "stable"
	case stream == StreamLatency || stream == LatencyP95+" check" || stream == LatencyP99+" check":
		return "baseline"
	}
	return "stable + baseline"
}

// Stream names reported in SeqResult.Streams.
const (
	StreamErrors    = "errors"
	StreamLogErrors = "log-errors"
	StreamLatency   = "latency"
	StreamErrorSLO  = "error-slo"
)

// Defaults of Sequential.
const (
	DefaultAlpha        = 0.01
	DefaultMinRequests  = 100
	DefaultMaxExtension = 10 * time.Minute
	DefaultLatencyFloor = 25 * time.Millisecond
	// DefaultLatencyWarmup is LatencyWarmup's default.
	DefaultLatencyWarmup = 30 * time.Second
)

func (q Sequential) latencyWarmup() time.Duration {
	if q.LatencyWarmup > 0 {
		return q.LatencyWarmup
	}
	return DefaultLatencyWarmup
}

func (q Sequential) latencyFloor() float64 {
	if q.LatencyFloor > 0 {
		return q.LatencyFloor.Seconds()
	}
	return DefaultLatencyFloor.Seconds()
}

// Validate reports every problem of the configuration at once.
func (q Sequential) Validate() error {
	var errs []error
	if q.Alpha < 0 || q.Alpha >= 1 || math.IsNaN(q.Alpha) {
		errs = append(errs, fmt.Errorf("alpha %v: want a probability in (0, 1), such as 0.01", q.Alpha))
	}
	if q.MaxErrorRate < 0 || q.MaxErrorRate >= 1 || math.IsNaN(q.MaxErrorRate) {
		errs = append(errs, fmt.Errorf("max error rate %v: want a ratio in [0, 1), such as 0.01 for 1%%", q.MaxErrorRate))
	}
	if q.MinRequests < 0 {
		errs = append(errs, fmt.Errorf("min requests %d: want zero (default %d) or more", q.MinRequests, DefaultMinRequests))
	}
	if !q.LowTraffic.valid() {
		errs = append(errs, fmt.Errorf("low traffic %q: want one of %s, %s, %s", q.LowTraffic, LowTrafficWait, LowTrafficExtend, LowTrafficFail))
	}
	if q.MaxExtension < 0 {
		errs = append(errs, fmt.Errorf("max extension %s: want zero (default %s) or more", q.MaxExtension, DefaultMaxExtension))
	}
	return errors.Join(errs...)
}

func (q Sequential) alpha() float64 {
	if q.Alpha > 0 && q.Alpha < 1 {
		return q.Alpha
	}
	return DefaultAlpha
}

func (q Sequential) minRequests() float64 {
	if q.MinRequests > 0 {
		return float64(q.MinRequests)
	}
	return DefaultMinRequests
}

// streamWeights returns the weights of the relative streams, the error-rate SLO
// stream (only when no error-rate check has a max: the check tests the same bound),
// each sampled check (keyed by its index) and the per-route stream, normalised to
// sum to 1.
func (q Sequential) streamWeights() (streams map[string]float64, checks []float64) {
	streams = map[string]float64{StreamErrors: weightErrors, StreamLogErrors: weightLogErrors, StreamLatency: weightLatency, StreamRoutes: weightRoutes}
	if q.MaxErrorRate > 0 && !q.hasErrorMax() {
		streams[StreamErrorSLO] = weightErrorSLO
	}
	n := 0
	for _, ch := range q.Checks {
		if sampled(ch.Metric) {
			n++
		}
	}
	checks = make([]float64, len(q.Checks))
	total := 0.0
	for _, name := range streamOrder { // a fixed order keeps the sum bit-for-bit reproducible
		total += streams[name]
	}
	for i, ch := range q.Checks {
		if sampled(ch.Metric) {
			checks[i] = weightChecks / float64(n)
			total += checks[i]
		}
	}
	for k := range streams {
		streams[k] /= total
	}
	for i := range checks {
		checks[i] /= total
	}
	return streams, checks
}

// streamOrder is the order streams are reported in; checks follow, in their order.
var streamOrder = []string{StreamErrors, StreamLatency, StreamLogErrors, StreamErrorSLO, StreamRoutes}

// SeqTotals are cumulative counts of one version since the judge started.
type SeqTotals struct {
	Requests  float64 `json:"requests"`
	Errors    float64 `json:"errors"`
	LogErrors float64 `json:"log_errors"`
	// Latency is the number of latency observations.
	Latency float64 `json:"latency"`
}

// Rate is Errors/Requests, zero without requests.
func (t SeqTotals) Rate() float64 {
	if t.Requests <= 0 {
		return 0
	}
	return t.Errors / t.Requests
}

// SeqState is the judge's memory between observations. It is plain data: persist it
// with the rollout (JSON) and pass it back after a restart to resume where it was.
// The zero value starts a fresh judgement.
type SeqState struct {
	// Observations counts the intervals seen.
	Observations int `json:"observations"`
	// RefShare is the candidate's share of traffic in the first interval where both
	// versions had traffic; it fixes the prior over ratios.
	RefShare  float64   `json:"ref_share,omitempty"`
	Candidate SeqTotals `json:"candidate"`
	Stable    SeqTotals `json:"stable"`
	// StepRequests are the candidate's requests since NewStep.
	StepRequests float64 `json:"step_requests"`
	// Log likelihood ratios per alternative: ErrorsLR and LogErrorsLR per ratio in the
	// grid, LatencyLR per bucket bound then ratio, SLOLR per tested error rate.
	ErrorsLR    []float64   `json:"errors_lr,omitempty"`
	LogErrorsLR []float64   `json:"log_errors_lr,omitempty"`
	LatencyLR   [][]float64 `json:"latency_lr,omitempty"`
	SLOLR       []float64   `json:"slo_lr,omitempty"`
	// LatencyAbsLR tests, per bucket bound, that more than latencyMaterial of the
	// candidate's requests are slower than the bound.
	LatencyAbsLR [][]float64 `json:"latency_abs_lr,omitempty"`
	// Checks is the evidence of each of Sequential.Checks, in order.
	Checks []CheckState `json:"checks,omitempty"`
	// RouteSlots are the routes the per-route stream follows, RouteLR their errors'
	// likelihood ratios and RouteErrors their errors (candidate, stable).
	RouteSlots  []string     `json:"route_slots,omitempty"`
	RouteLR     [][]float64  `json:"route_lr,omitempty"`
	RouteErrors [][2]float64 `json:"route_errors,omitempty"`
	// LatencyBounds are the histogram bounds in seconds; StableAbove[i] and
	// CandidateAbove[i] count each version's observations slower than
	// LatencyBounds[i].
	LatencyBounds  []float64 `json:"latency_bounds,omitempty"`
	StableAbove    []float64 `json:"stable_above,omitempty"`
	CandidateAbove []float64 `json:"candidate_above,omitempty"`
	// CandidateTime is how long the candidate has served, for LatencyWarmup.
	CandidateTime time.Duration `json:"candidate_time,omitempty"`
	// Failed is set once the evidence crossed the threshold; it stays set.
	Failed   bool    `json:"failed,omitempty"`
	FailedAt int     `json:"failed_at,omitempty"`
	MaxLogE  float64 `json:"max_log_e"`
}

// NewStep returns the state for a new rollout step: the evidence carries over, the
// step's request count starts again.
func (st SeqState) NewStep() SeqState {
	st.StepRequests = 0
	return st
}

// SeqStream is one stream's evidence in a result.
type SeqStream struct {
	Name   string  `json:"name"`
	Weight float64 `json:"weight"`
	// EValue is the stream's e-value (capped at 1e300 to stay finite); LogEValue its
	// natural log, uncapped.
	EValue    float64 `json:"e_value"`
	LogEValue float64 `json:"log_e_value"`
	// Ratio is the alternative carrying the most evidence: a rate ratio
	// candidate/stable, or for error-slo the candidate error rate.
	Ratio float64 `json:"ratio"`
	// Bound is, for latency, the bucket bound in seconds of the leading test.
	Bound float64 `json:"bound,omitempty"`
	// Route is, for the per-route stream, the route with the most evidence.
	Route string `json:"route,omitempty"`
	// Candidate and Stable count the events the stream has seen per version
	// (errors, log lines, requests slower than Bound).
	Candidate float64 `json:"candidate"`
	Stable    float64 `json:"stable"`
}

// SeqResult is the judge's answer after an observation, with its evidence.
type SeqResult struct {
	// Outcome is Fail once the e-value reached Threshold; Pass when it has not, the
	// step has MinRequests candidate requests and the stable served traffic to compare
	// with; otherwise Inconclusive. The caller decides the bake (see Decide).
	Outcome Outcome `json:"outcome"`
	Reason  string  `json:"reason"`
	// Alpha and Threshold = 1/Alpha; EValue (capped at 1e300) and LogEValue are the
	// combined evidence against "the candidate is no worse than the stable".
	Alpha     float64 `json:"alpha"`
	Threshold float64 `json:"threshold"`
	EValue    float64 `json:"e_value"`
	LogEValue float64 `json:"log_e_value"`
	// Leading names the stream with the most weighted evidence.
	Leading      string      `json:"leading"`
	Streams      []SeqStream `json:"streams"`
	Candidate    SeqTotals   `json:"candidate"`
	Stable       SeqTotals   `json:"stable"`
	StepRequests float64     `json:"step_requests"`
	MinRequests  float64     `json:"min_requests"`
	Observations int         `json:"observations"`
}

func capExp(x float64) float64 { return math.Exp(math.Min(x, 690)) }
