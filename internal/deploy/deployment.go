package deploy

import (
	"encoding/json"
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
	// Retired are instances that serve no more and are being stopped. They stay on
	// record until they are, so that no process is left that no record points to.
	Retired []runtime.Instance `json:"retired,omitempty"`
}

// Pending is a candidate under rollout.
type Pending struct {
	Version string `json:"version"`
	Digest  string `json:"digest"`
	// Instance is the first of Instances; records written before replicas have only it.
	Instance runtime.Instance `json:"instance"`
	// Instances are all the candidate's instances.
	Instances []runtime.Instance `json:"instances,omitempty"`
	Hotfix    bool               `json:"hotfix,omitempty"`
	Rollout   string             `json:"rollout"`
	// Baseline are fresh instances of the current version started with the
	// candidate for the rollout to compare it with; stopped when the rollout ends.
	Baseline []runtime.Instance `json:"baseline,omitempty"`
}

// UnmarshalJSON reads a Pending, filling Instances from Instance in old records.
func (p *Pending) UnmarshalJSON(b []byte) error {
	type plain Pending
	if err := json.Unmarshal(b, (*plain)(p)); err != nil {
		return err
	}
	if len(p.Instances) == 0 && p.Instance.URL != "" {
		p.Instances = []runtime.Instance{p.Instance}
	}
	return nil
}

// setInstances records the candidate's instances.
func (p *Pending) setInstances(ins []runtime.Instance) {
	p.Instances = ins
	p.Instance = runtime.Instance{}
	if len(ins) > 0 {
		p.Instance = ins[0]
	}
}

// all returns every instance the deployment points to: current, warm, pending
// (with its baseline) and retired.
func (dep Deployment) all() []runtime.Instance {
	out := append([]runtime.Instance(nil), dep.Instances...)
	if dep.Warm != nil {
		out = append(out, dep.Warm.Instances...)
	}
	if dep.Pending != nil {
		out = append(out, dep.Pending.Instances...)
		out = append(out, dep.Pending.Baseline...)
	}
	return append(out, dep.Retired...)
}

func (dep Deployment) artifact() Artifact {
	return Artifact{Service: dep.Service, Version: dep.Version, Digest: dep.Digest}
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
