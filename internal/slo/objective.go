package slo

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/slipway/slipway/internal/config"
)

// Severity says who an alert is for.
type Severity string

// Severities of the tiers.
const (
	// Page wakes someone: the budget burns fast enough to be gone in days.
	Page Severity = "page"
	// Ticket is for working hours: a slow burn that will exhaust the budget.
	Ticket Severity = "ticket"
)

// Tier is one alert of an objective: a long and a short window that must both burn
// at least the tier's rate.
type Tier struct {
	// Name is "page-1h", "page-6h" or "ticket-3d".
	Name     string
	Severity Severity
	Long     time.Duration
	Short    time.Duration
	// Spend is the share of the whole budget burnt in Long at the tier's rate.
	Spend float64
}

// Tiers are the SRE workbook's three alerts, in order of urgency.
var Tiers = []Tier{
	{Name: "page-1h", Severity: Page, Long: time.Hour, Short: 5 * time.Minute, Spend: 0.02},
	{Name: "page-6h", Severity: Page, Long: 6 * time.Hour, Short: 30 * time.Minute, Spend: 0.05},
	{Name: "ticket-3d", Severity: Ticket, Long: 72 * time.Hour, Short: 6 * time.Hour, Spend: 0.10},
}

// Longest is the longest window any tier reads: the samples kept.
const Longest = 72 * time.Hour

// Rate is the burn rate at which t fires for an objective over period: 14.4 for
// page-1h over 30d.
func (t Tier) Rate(period time.Duration) float64 {
	return t.Spend * float64(period) / float64(t.Long)
}

// Objective is one SLO of a service, ready to evaluate.
type Objective struct {
	Name string `json:"name"`
	// Target is the good-request ratio promised, 0.999.
	Target float64 `json:"target"`
	// Period is the rolling window the target holds over.
	Period time.Duration `json:"period"`
	// MinRequests is the least traffic each window of a tier needs to fire.
	MinRequests int `json:"min_requests"`
	// Latency, when not zero, makes a request good only when answered within it.
	Latency time.Duration `json:"latency,omitempty"`
}

// MarshalJSON writes the period and the latency as people write them: "30d",
// "250ms".
func (o Objective) MarshalJSON() ([]byte, error) {
	out := struct {
		Name        string  `json:"name"`
		Kind        string  `json:"kind"`
		Target      float64 `json:"target"`
		Window      string  `json:"window"`
		MinRequests int     `json:"min_requests"`
		Latency     string  `json:"latency,omitempty"`
	}{Name: o.Name, Kind: o.Kind(), Target: o.Target, Window: spanName(o.Period), MinRequests: o.MinRequests}
	if o.Latency > 0 {
		out.Latency = o.Latency.String()
	}
	return json.Marshal(out)
}

// Budget is the share of requests allowed to be bad, 0.001 for 99.9%.
func (o Objective) Budget() float64 { return 1 - o.Target }

// Kind is availability or latency.
func (o Objective) Kind() string {
	if o.Latency > 0 {
		return "latency"
	}
	return "availability"
}

// Objectives reads the slo section of a configuration; it expects a validated one.
func Objectives(c *config.Config) ([]Objective, error) {
	var out []Objective
	for _, s := range c.SLOs {
		target, err := s.Ratio()
		if err != nil {
			return nil, fmt.Errorf("slo %s: %w", s.Name, err)
		}
		period, err := s.Period()
		if err != nil {
			return nil, fmt.Errorf("slo %s: %w", s.Name, err)
		}
		o := Objective{Name: s.Name, Target: target, Period: period, MinRequests: s.MinRequests}
		if o.MinRequests < 1 {
			o.MinRequests = 1
		}
		if s.Latency != nil {
			o.Latency = s.Latency.Threshold.D()
		}
		out = append(out, o)
	}
	return out, nil
}
