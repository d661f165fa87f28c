// Package domain holds contracts and the rules a valid contract obeys. It knows
// nothing of HTTP or storage: the rules are plain functions of a contract.
package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// rule is one named check; check returns a message when the contract breaks it.
type rule struct {
	name  string
	check func(c Contract) (msg string, broken bool)
}

// rules are applied in this order to every contract.
var rules = []rule{
	{"required-fields", requiredFields},
	{"positive-amount", positiveAmount},
	{"known-currency", knownCurrency},
	{"end-after-start", endAfterStart},
	{"renewal-notice", renewalNotice},
}

// MinNoticePeriodDays is the shortest notice period an auto-renewing contract may give.
const MinNoticePeriodDays = 30

// Validate applies every rule to c but those named in skip (rules shipped behind
// a feature flag that is off).
func Validate(c Contract, skip ...string) Report {
	r := Report{Violations: []Violation{}}
	for _, rl := range rules {
		if slices.Contains(skip, rl.name) {
			continue
		}
		r.Checked = append(r.Checked, rl.name)
		if msg, broken := rl.check(c); broken {
			r.Violations = append(r.Violations, Violation{Rule: rl.name, Message: msg})
		}
	}
	return r
}

// currencies are the ISO 4217 codes contracts are billed in.
var currencies = map[string]bool{
	"EUR": true, "USD": true, "GBP": true, "CHF": true, "BRL": true,
	"SEK": true, "NOK": true, "DKK": true, "PLN": true, "CZK": true,
}

func requiredFields(c Contract) (string, bool) {
	var missing []string
	for _, f := range []struct{ name, value string }{
		{"id", c.ID}, {"customer_id", c.CustomerID}, {"product", c.Product},
		{"currency", c.Currency}, {"start_date", c.StartDate}, {"end_date", c.EndDate},
	} {
		if strings.TrimSpace(f.value) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return "missing required fields: " + strings.Join(missing, ", "), true
	}
	return "", false
}

func positiveAmount(c Contract) (string, bool) {
	if c.AmountCents <= 0 {
		return fmt.Sprintf("amount_cents must be more than zero (got %d)", c.AmountCents), true
	}
	return "", false
}

func knownCurrency(c Contract) (string, bool) {
	if c.Currency != "" && !currencies[c.Currency] {
		return fmt.Sprintf("currency %q is not an ISO 4217 code we bill in", c.Currency), true
	}
	return "", false
}

func endAfterStart(c Contract) (string, bool) {
	if c.StartDate == "" || c.EndDate == "" {
		return "", false // reported by required-fields
	}
	start, err := time.Parse(DateLayout, c.StartDate)
	if err != nil {
		return fmt.Sprintf("start_date %q is not a date like 2026-01-01", c.StartDate), true
	}
	end, err := time.Parse(DateLayout, c.EndDate)
	if err != nil {
		return fmt.Sprintf("end_date %q is not a date like 2026-01-01", c.EndDate), true
	}
	if !end.After(start) {
		return fmt.Sprintf("end_date %s must be after start_date %s", c.EndDate, c.StartDate), true
	}
	return "", false
}

// renewalNotice requires auto-renewing contracts to give enough notice, so customers
// can cancel before a renewal binds them.
func renewalNotice(c Contract) (string, bool) {
	if !c.AutoRenew {
		return "", false
	}
	if c.Terms.NoticePeriodDays < MinNoticePeriodDays {
		return fmt.Sprintf("auto-renewing contracts need a notice period of at least %d days (got %d)",
			MinNoticePeriodDays, c.Terms.NoticePeriodDays), true
	}
	return "", false
}
