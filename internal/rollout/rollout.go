package rollout

import (
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

// Reads are cumulative reads of both versions at one moment.
type Reads struct {
	Candidate analysis.Series `json:"candidate"`
	Stable    analysis.Series `json:"stable"`
}

// Rollout is the persisted state of one rollout.
type Rollout struct {
	ID string `json:"id"`
	Spec
	Phase Phase `json:"phase"`
	// Step indexes Steps; Weight is the candidate weight the router must carry.
	Step   int `json:"step"`
	Weight int `json:"weight"`
	// StepStarted is zero until the step's baseline has been read.
	StepStarted time.Time `json:"step_started"`
	// Baseline is the read at the step's start; Prev the read of the last pass.
	Baseline Reads `json:"baseline"`
	Prev     Reads `json:"prev"`
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
