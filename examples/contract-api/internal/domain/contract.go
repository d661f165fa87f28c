package domain

import "time"

// DateLayout is how contract dates are written: 2026-01-01.
const DateLayout = time.DateOnly

// Contract is a customer's subscription to a product.
type Contract struct {
	ID          string `json:"id"`
	CustomerID  string `json:"customer_id"`
	Product     string `json:"product"`
	AmountCents int64  `json:"amount_cents"`
	Currency    string `json:"currency"`
	StartDate   string `json:"start_date"`
	EndDate     string `json:"end_date"`
	AutoRenew   bool   `json:"auto_renew"`
	// Terms are nil for legacy contracts, signed before terms were recorded.
	Terms *Terms `json:"terms,omitempty"`
}

// Terms are the negotiated conditions of a contract.
type Terms struct {
	NoticePeriodDays int    `json:"notice_period_days"`
	Jurisdiction     string `json:"jurisdiction"`
}

// Violation is one rule a contract breaks.
type Violation struct {
	Rule    string `json:"rule"`
	Message string `json:"message"`
}

// Report is the outcome of validating a contract.
type Report struct {
	// Violations lists the rules broken, in rule order; empty when the contract is valid.
	Violations []Violation
	// Checked names every rule that was applied, in order.
	Checked []string
}

// Valid reports whether the contract broke no rule.
func (r Report) Valid() bool { return len(r.Violations) == 0 }
