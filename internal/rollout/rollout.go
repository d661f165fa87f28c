package rollout

import (
	"fmt"
	"time"

	"github.com/slipway/slipway/internal/analysis"
)

// Phase is where a rollout stands.
type Phase string

// Phases of a rollout.
const (
	Progressing Phase = "progressing"
	Paused      Phase = "paused"
	Promoted    Phase = "promoted"
	RolledBack  Phase = "rolled-back"
	Aborted     Phase = "aborted"
)

// Terminal reports whether the rollout has ended.
func (p Phase) Terminal() bool { return p == Promoted || p == RolledBack || p == Aborted }

// Release is one version's backends: the URLs of its instances.
type Release struct {
	Version string `json:"version"`
	Digest  string `json:"digest,omitempty"`
	// URL is the first instance's; rollouts stored before URLs existed have only it.
	URL string `json:"url"`
	// URLs are every instance's; the version's weight is spread over them.
	URLs []string `json:"urls,omitempty"`
}

// NewRelease is version's Release with its instances at urls.
func NewRelease(version, digest string, urls ...string) Release {
	r := Release{Version: version, Digest: digest, URLs: urls}
	if len(urls) > 0 {
		r.URL = urls[0]
	}
	return r
}

// Instances returns the URLs of the release's instances: URLs, or URL alone.
func (r Release) Instances() []string {
	if len(r.URLs) > 0 {
		return r.URLs
	}
	if r.URL != "" {
		return []string{r.URL}
	}
	return nil
}

// NoData actions: what a rollout does when metrics cannot be read or stay too thin.
const (
	NoDataPause    = "pause"
	NoDataRollback = "rollback"
)

// Spec is what a rollout is asked to do.
type Spec struct {
	Service, Env string
	// Profile names the strategy: standard or hotfix.
	Profile   string
	Stable    Release
	Candidate Release
	// Baseline is a fresh instance set of the stable version (same digest), started
	// with the candidate and given the same share of traffic, so that cold starts,
	// caches and neighbours weigh on both alike: the candidate is judged against it.
	// Without instances (none could run, or the rollout disables it) the candidate
	// is judged against the stable version, with latency after a warm-up.
	Baseline Release `json:"baseline_release,omitempty"`
	// Steps are candidate weights in percent, increasing, ending at 100.
	Steps    []int
	Bake     time.Duration
	Interval time.Duration
	Criteria analysis.Criteria
	// Judge is the sequential judge of candidate against stable.
	Judge analysis.Sequential
	// OnNoData is NoDataPause or NoDataRollback.
	OnNoData string
}

// Reads are cumulative reads of every track at one moment, from one scrape.
type Reads struct {
	Candidate analysis.Series `json:"candidate"`
	Stable    analysis.Series `json:"stable"`
	// Baseline is the baseline's traffic, when the rollout runs one.
	Baseline analysis.Series `json:"baseline"`
}

// HasBaseline reports whether the candidate is judged against a baseline.
func (s Spec) HasBaseline() bool { return len(s.Baseline.Instances()) > 0 }

// Reference is the series the candidate is judged against. Without a baseline it
// is the stable version's. With one, latency, CPU and memory are the baseline's
// alone - a process as young as the candidate, carrying the same share, which is
// what makes them comparable - while requests, errors, routes and error log lines
// are the stable's and the baseline's together: both run the stable code, and the
// stable's far larger traffic is what lets a few candidate errors count as evidence.
// Errors of a cold process are thus the candidate's to answer for (the README says
// so); its latency is not.
func (s Spec) Reference(r Reads) analysis.Series {
	if !s.HasBaseline() {
		return r.Stable
	}
	b, st := r.Baseline, r.Stable
	ref := analysis.Series{Version: b.Version, At: b.At, Window: b.Window,
		Requests: st.Requests + b.Requests, Errors: st.Errors + b.Errors, LogErrors: st.LogErrors + b.LogErrors,
		Latency: b.Latency, CPUSeconds: b.CPUSeconds, MemoryBytes: b.MemoryBytes}
	if ref.Version == "" {
		ref.Version = st.Version
	}
	if len(st.Routes)+len(b.Routes) > 0 {
		ref.Routes = make(map[string]analysis.RouteCounts, len(st.Routes))
		for _, m := range []map[string]analysis.RouteCounts{st.Routes, b.Routes} {
			for k, rc := range m {
				cur := ref.Routes[k]
				ref.Routes[k] = analysis.RouteCounts{Requests: cur.Requests + rc.Requests, Errors: cur.Errors + rc.Errors}
			}
		}
	}
	return ref
}

// ComparedWith names what the candidate is judged against, for the journal.
func (s Spec) ComparedWith() string {
	if s.HasBaseline() {
		return fmt.Sprintf("a baseline of %s started with it (%d instances)", s.Stable.Version, len(s.Baseline.Instances()))
	}
	return fmt.Sprintf("stable %s (latency after a warm-up)", s.Stable.Version)
}

// reference is "baseline" or "stable": what the candidate is judged against.
func (s Spec) reference() string {
	if s.HasBaseline() {
		return "baseline"
	}
	return "stable"
}

// Split is the traffic each track carries at candidate weight w (percent): the
// baseline takes as much as the candidate, as far as the stable's share allows,
// and the stable the rest.
func (s Spec) Split(w int) (stable, baseline, candidate int) {
	w = max(0, min(100, w))
	if s.HasBaseline() && w > 0 && w < 100 {
		baseline = min(w, 100-w)
	}
	return 100 - w - baseline, baseline, w
}

// Rollout is the persisted state of one rollout.
type Rollout struct {
	ID string `json:"id"`
	Spec
	Phase Phase `json:"phase"`
	// Step indexes Steps; Weight is the candidate weight the router must carry.
	Step   int `json:"step"`
	Weight int `json:"weight"`
	// StepStarted is zero until the step's first read has been taken.
	StepStarted time.Time `json:"step_started"`
	// StepStart is the read at the step's start; Prev the read of the last pass.
	StepStart Reads `json:"step_start"`
	Prev      Reads `json:"prev"`
	// Seq is the sequential judge's evidence, kept across steps and restarts.
	Seq analysis.SeqState `json:"seq"`
	// LastSeq is the sequential judge's newest result.
	LastSeq analysis.SeqResult `json:"last_seq"`
	// Routes are the candidate's requests and errors per route in the current step.
	Routes map[string]analysis.RouteCounts `json:"routes,omitempty"`
	// NoData counts consecutive reads that failed.
	NoData int `json:"no_data"`
	// Last is the newest verdict.
	Last analysis.Verdict `json:"last"`
	// CandidateErrors adds up the errors the candidate served in finished steps.
	CandidateErrors float64   `json:"candidate_errors"`
	Reason          string    `json:"reason,omitempty"`
	StartedAt       time.Time `json:"started_at"`
	FinishedAt      time.Time `json:"finished_at,omitempty"`
}
