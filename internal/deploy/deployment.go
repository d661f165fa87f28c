package deploy

import (
	"time"

	"github.com/slipway/slipway/internal/runtime"
)

// Artifact identifies what is deployed: the same digest in every environment.
type Artifact struct {
	Service string `json:"service"`
	Version string `json:"version"`
	Digest  string `json:"digest"`
}

// Deployment is who runs what in one environment; stored as record "deployment"
// with id "<service>/<env>".
type Deployment struct {
	Service    string             `json:"service"`
	Env        string             `json:"env"`
	Version    string             `json:"version"`
	Digest     string             `json:"digest"`
	Instances  []runtime.Instance `json:"instances"`
	SmokeOK    bool               `json:"smoke_ok"`
	DeployedAt time.Time          `json:"deployed_at"`
	// Rollout is the id of the rollout that brought Version in, if any.
	Rollout string `json:"rollout,omitempty"`
	// Warm is the previous version, kept running until WarmUntil.
	Warm *Warm `json:"warm,omitempty"`
	// Pending is a candidate on its way in through a rollout; recorded before the
	// rollout starts so that a restarted control plane finishes what it began.
	Pending *Pending `json:"pending,omitempty"`
}

// Pending is a candidate under rollout.
type Pending struct {
	Version  string           `json:"version"`
	Digest   string           `json:"digest"`
	Instance runtime.Instance `json:"instance"`
	Hotfix   bool             `json:"hotfix,omitempty"`
	Rollout  string           `json:"rollout"`
}

// Warm is a previous version kept running after a promotion.
type Warm struct {
	Version   string             `json:"version"`
	Digest    string             `json:"digest"`
	Instances []runtime.Instance `json:"instances"`
	WarmUntil time.Time          `json:"warm_until"`
}

// Outcome is how a deploy ended.
type Outcome string

// Outcomes of Deploy.
const (
	Deployed   Outcome = "deployed"    // replaced at once (no rollout strategy, or first deploy)
	Promoted   Outcome = "promoted"    // a rollout took it to 100%
	RolledBack Outcome = "rolled-back" // a rollout sent traffic back to the stable version
	Paused     Outcome = "paused"      // a rollout is waiting for a person
	Aborted    Outcome = "aborted"     // a person sent traffic back to the stable version
)

func deploymentID(service, env string) string { return service + "/" + env }
