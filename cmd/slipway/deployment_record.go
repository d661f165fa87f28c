package main

import (
	"encoding/json"

	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/runtime"
)

// deploymentRecord is a "deployment" record as the read commands see it: the
// deployment, and every instance of its candidate. Records name a candidate's
// instances in pending.instances, or (written before replicas) only in
// pending.instance; both read the same here.
type deploymentRecord struct {
	deploy.Deployment
	// Candidates are the pending candidate's instances; empty without one.
	Candidates []runtime.Instance
}

func (d *deploymentRecord) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &d.Deployment); err != nil {
		return err
	}
	var more struct {
		Pending *struct {
			Instances []runtime.Instance `json:"instances"`
		} `json:"pending"`
	}
	if err := json.Unmarshal(b, &more); err != nil {
		return err
	}
	d.Candidates = nil
	switch {
	case more.Pending != nil && len(more.Pending.Instances) > 0:
		d.Candidates = more.Pending.Instances
	case d.Pending != nil && d.Pending.Instance != (runtime.Instance{}):
		d.Candidates = []runtime.Instance{d.Pending.Instance}
	}
	return nil
}
