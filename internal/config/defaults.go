package config

import "time"

// Defaults documented on the fields of the configuration types.
const (
	defaultHealth    = "/healthz"
	defaultPortEnv   = "PORT"
	defaultPromotion = "auto"
	defaultReplicas  = 1
	defaultTimeout   = Duration(10 * time.Minute)
	defaultBake      = Duration(10 * time.Minute)
	// defaultInterval is the router provider's: the router's counters are exact at
	// every read, so reading often costs nothing and catches a bad canary sooner.
	defaultInterval = Duration(time.Second)
	// defaultPromInterval is the prometheus provider's: a read more often than
	// Prometheus scrapes sees the same samples again. Set interval to the scrape
	// interval when it is shorter.
	defaultPromInterval = Duration(30 * time.Second)
	defaultKeepWarm     = Duration(30 * time.Minute)
	defaultProvider     = "router"
	defaultMinRequests  = 50
	defaultOnNoData     = "rollback"
	defaultMethod       = "GET"
	defaultExpect       = 200
)

// defaultSteps is a fresh copy of the default canary weights.
func defaultSteps() []int { return []int{5, 25, 50, 100} }

// setDefaults fills every unset optional field with its documented default.
func (c *Config) setDefaults() {
	if c.Build.Health == "" {
		c.Build.Health = defaultHealth
	}
	if c.Build.PortEnv == "" {
		c.Build.PortEnv = defaultPortEnv
	}
	for kind, p := range c.Pipelines {
		for i := range p.Steps {
			if p.Steps[i].Timeout == 0 {
				p.Steps[i].Timeout = defaultTimeout
			}
		}
		c.Pipelines[kind] = p
	}
	for i := range c.Environments {
		c.Environments[i].setDefaults()
	}
	for i := range c.SLOs {
		c.SLOs[i].setDefaults()
	}
}

func (e *Environment) setDefaults() {
	if g := e.Policy.Vulnerabilities; g != nil && g.Unknown == "" {
		g.Unknown = defaultUnknownSeverity
	}
	if e.Promotion == "" {
		e.Promotion = defaultPromotion
	}
	if e.Replicas == 0 {
		e.Replicas = defaultReplicas
	}
	for i := range e.Smoke {
		if e.Smoke[i].Method == "" {
			e.Smoke[i].Method = defaultMethod
		}
		if e.Smoke[i].Expect == 0 {
			e.Smoke[i].Expect = defaultExpect
		}
	}
	if r := e.Rollout; r != nil {
		if len(r.Steps) == 0 {
			r.Steps = defaultSteps()
		}
		if r.Bake == 0 {
			r.Bake = defaultBake
		}
		if r.Interval == 0 {
			r.Interval = defaultInterval
			if r.Analysis.Provider == "prometheus" {
				r.Interval = defaultPromInterval
			}
		}
		if r.KeepWarm == 0 {
			r.KeepWarm = defaultKeepWarm
		}
		if r.Analysis.Provider == "" {
			r.Analysis.Provider = defaultProvider
		}
		if r.Analysis.MinRequests == 0 {
			r.Analysis.MinRequests = defaultMinRequests
		}
		if r.Analysis.OnNoData == "" {
			r.Analysis.OnNoData = defaultOnNoData
		}
		if r.Analysis.LowTraffic == "" {
			r.Analysis.LowTraffic = "extend"
		}
		if r.Analysis.MaxExtension == 0 {
			r.Analysis.MaxExtension = Duration(10 * time.Minute)
		}
		if r.Analysis.Alpha == 0 {
			r.Analysis.Alpha = 0.01
		}
	}
}
