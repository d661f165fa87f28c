package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"text/template"
)

func (c *Config) validateEnvironments(ps *problems) {
	seen := map[string]int{}
	for i, e := range c.Environments {
		field := fmt.Sprintf("environments[%d]", i)
		switch {
		case e.Name == "":
			ps.add(field, "environment name is required, e.g. dev, staging or prod")
		case !namePattern.MatchString(e.Name):
			ps.add(field+".name", "environment name %q must be lower-case letters, digits and single dashes, starting with a letter", e.Name)
		default:
			if first, dup := seen[e.Name]; dup {
				ps.add(field+".name", "environment %q is already defined at environments[%d]: names must be unique", e.Name, first)
			} else {
				seen[e.Name] = i
			}
		}
		if !slices.Contains(promotions, e.Promotion) {
			ps.add(field+".promotion", "unknown promotion %q: valid values are %s", e.Promotion, strings.Join(promotions, ", "))
		}
		if e.Replicas < 1 || e.Replicas > maxReplicas {
			ps.add(field+".replicas", "replicas must be between 1 and %d (got %d)", maxReplicas, e.Replicas)
		}
		for j, chk := range e.Smoke {
			chk.validate(fmt.Sprintf("%s.smoke[%d]", field, j), ps)
		}
		if e.Rollout != nil {
			e.Rollout.validate(field+".rollout", ps)
		}
		e.validatePolicy(field+".policy", ps)
	}
}

func (chk Check) validate(field string, ps *problems) {
	if !strings.HasPrefix(chk.Path, "/") {
		if chk.Path == "" {
			ps.add(field, "smoke check path is required, e.g. /healthz")
		} else {
			ps.add(field+".path", "path %q must start with /", chk.Path)
		}
	}
	if !slices.Contains(httpMethods, chk.Method) {
		ps.add(field+".method", "unknown HTTP method %q: valid methods are %s", chk.Method, strings.Join(httpMethods, ", "))
	}
	if chk.Expect < 100 || chk.Expect > 599 {
		ps.add(field+".expect", "expect must be an HTTP status code between 100 and 599 (got %d)", chk.Expect)
	}
}

func (r *Rollout) validate(field string, ps *problems) {
	validateSteps(field+".steps", r.Steps, ps)
	if r.Bake <= 0 {
		ps.add(field+".bake", "bake must be more than zero")
	}
	if r.Interval <= 0 {
		ps.add(field+".interval", "interval must be more than zero")
	} else if r.Interval > r.Bake && r.Bake > 0 {
		ps.add(field+".interval", "interval (%s) must not exceed bake (%s): analysis must judge each step at least once", r.Interval.D(), r.Bake.D())
	}
	a := r.Analysis
	af := field + ".analysis"
	if !slices.Contains(providers, a.Provider) {
		ps.add(af+".provider", "unknown metrics provider %q: valid providers are %s", a.Provider, strings.Join(providers, ", "))
	}
	if a.Provider == "prometheus" {
		validatePrometheus(af+".prometheus", a.Prometheus, ps)
	} else if a.Prometheus != nil {
		ps.add(af+".prometheus", "prometheus settings are only read with provider: prometheus (provider is %s)", a.Provider)
	}
	if a.MinRequests < 1 {
		ps.add(af+".min-requests", "min-requests must be at least 1 (got %d)", a.MinRequests)
	}
	if !slices.Contains(onNoData, a.OnNoData) {
		ps.add(af+".on-no-data", "unknown on-no-data %q: valid values are %s (missing data never promotes)", a.OnNoData, strings.Join(onNoData, ", "))
	}
	if !slices.Contains([]string{"wait", "extend", "fail"}, a.LowTraffic) {
		ps.add(af+".low-traffic", "unknown low-traffic %q: valid values are wait, extend, fail", a.LowTraffic)
	}
	if a.Alpha <= 0 || a.Alpha >= 0.5 {
		ps.add(af+".alpha", "alpha %v must be between 0 and 0.5 (the chance of rolling back a healthy candidate; 0.01 is usual)", a.Alpha)
	}
	if len(a.Checks) == 0 {
		ps.add(af+".checks", "analysis needs at least one check, e.g. {metric: error-rate, max: 1%%}: without one a candidate could never fail")
	}
	validateChecks(af+".checks", a.Checks, ps)

	if h := r.Hotfix; h != nil {
		hf := field + ".hotfix"
		if len(h.Steps) > 0 {
			validateSteps(hf+".steps", h.Steps, ps)
		}
		eff := r.Profile(true)
		if (h.Interval != 0 || h.Bake != 0) && eff.Interval > eff.Bake && eff.Bake > 0 {
			f := hf + ".bake"
			if h.Interval != 0 {
				f = hf + ".interval"
			}
			ps.add(f, "hotfix interval (%s) must not exceed hotfix bake (%s): analysis must judge each step at least once", eff.Interval.D(), eff.Bake.D())
		}
		if h.MinRequests < 0 {
			ps.add(hf+".min-requests", "min-requests must be positive (got %d)", h.MinRequests)
		}
		validateChecks(hf+".checks", h.Checks, ps)
	}
}

func validateSteps(field string, steps []int, ps *problems) {
	for _, s := range steps {
		if s < 1 || s > 100 {
			ps.add(field, "steps are percentages of traffic from 1 to 100 (got %v)", steps)
			return
		}
	}
	ok := len(steps) > 0 && steps[len(steps)-1] == 100
	for i := 1; i < len(steps) && ok; i++ {
		ok = steps[i] > steps[i-1]
	}
	if !ok {
		ps.add(field, "steps must increase and end at 100 (got %v)", steps)
	}
}

func validateChecks(field string, checks []MetricCheck, ps *problems) {
	seen := map[string]int{}
	for i, m := range checks {
		f := fmt.Sprintf("%s[%d]", field, i)
		if !slices.Contains(metrics, m.Metric) {
			ps.add(f+".metric", "unknown metric %q: valid metrics are %s", m.Metric, strings.Join(metrics, ", "))
			continue
		}
		if first, dup := seen[m.Metric]; dup {
			ps.add(f+".metric", "metric %s is already checked at [%d]: keep one threshold per metric", m.Metric, first)
		}
		seen[m.Metric] = i
		if _, err := m.Threshold(); err != nil {
			ps.add(f+".max", "%v", err)
		}
		if m.MaxVsStable < 0 || m.MaxVsStable > 0 && m.MaxVsStable < 1 {
			ps.add(f+".max-vs-stable", "max-vs-stable %v must be at least 1 (1.5 allows half as much again as stable), or 0 for off", m.MaxVsStable)
		}
	}
}

func validatePrometheus(field string, p *Prometheus, ps *problems) {
	if p == nil || strings.TrimSpace(p.Address) == "" {
		ps.add(field+".address", "provider prometheus needs the server's address, e.g. prometheus: {address: http://prometheus:9090}")
		return
	}
	if u, err := url.Parse(p.Address); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		ps.add(field+".address", "address %q must be an http(s) URL with a host, e.g. http://prometheus:9090", p.Address)
	}
	for name, q := range map[string]string{"requests": p.Queries.Requests, "errors": p.Queries.Errors,
		"buckets": p.Queries.Buckets, "sum": p.Queries.Sum, "up": p.Queries.Up} {
		if q == "" {
			continue
		}
		if _, err := template.New(name).Option("missingkey=error").Parse(q); err != nil {
			ps.add(field+".queries."+name, "query is not a valid template: %v", err)
		}
	}
}
