package domain

import (
	"reflect"
	"testing"
)

// modern returns a valid contract with terms; tests change one thing at a time.
func modern() Contract {
	return Contract{
		ID: "C-1042", CustomerID: "CUST-77", Product: "fiber-500", AmountCents: 129900,
		Currency: "EUR", StartDate: "2026-01-01", EndDate: "2027-01-01", AutoRenew: true,
		Terms: &Terms{NoticePeriodDays: 30, Jurisdiction: "PT"},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Contract)
		want   []Violation
	}{
		{"valid modern contract", func(c *Contract) {}, []Violation{}},
		{"missing fields", func(c *Contract) { c.ID, c.Product = "", " " }, []Violation{
			{"required-fields", "missing required fields: id, product"},
		}},
		{"zero amount", func(c *Contract) { c.AmountCents = 0 }, []Violation{
			{"positive-amount", "amount_cents must be more than zero (got 0)"},
		}},
		{"negative amount", func(c *Contract) { c.AmountCents = -5 }, []Violation{
			{"positive-amount", "amount_cents must be more than zero (got -5)"},
		}},
		{"unknown currency", func(c *Contract) { c.Currency = "XYZ" }, []Violation{
			{"known-currency", `currency "XYZ" is not an ISO 4217 code we bill in`},
		}},
		{"end before start", func(c *Contract) { c.EndDate = "2025-12-31" }, []Violation{
			{"end-after-start", "end_date 2025-12-31 must be after start_date 2026-01-01"},
		}},
		{"end equals start", func(c *Contract) { c.EndDate = c.StartDate }, []Violation{
			{"end-after-start", "end_date 2026-01-01 must be after start_date 2026-01-01"},
		}},
		{"bad date", func(c *Contract) { c.StartDate = "01/01/2026" }, []Violation{
			{"end-after-start", `start_date "01/01/2026" is not a date like 2026-01-01`},
		}},
		{"several at once", func(c *Contract) { c.AmountCents, c.Currency = 0, "usd" }, []Violation{
			{"positive-amount", "amount_cents must be more than zero (got 0)"},
			{"known-currency", `currency "usd" is not an ISO 4217 code we bill in`},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := modern()
			tt.change(&c)
			got := Validate(c)
			if !reflect.DeepEqual(got.Violations, tt.want) {
				t.Errorf("Validate().Violations = %#v, want %#v", got.Violations, tt.want)
			}
			if got.Valid() != (len(tt.want) == 0) {
				t.Errorf("Valid() = %v with %d violations", got.Valid(), len(tt.want))
			}
		})
	}
}

func TestValidateChecksEveryRule(t *testing.T) {
	got := Validate(modern()).Checked
	want := make([]string, len(rules))
	for i, r := range rules {
		want[i] = r.name
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Checked = %v, want %v", got, want)
	}
}

func TestRenewalNotice(t *testing.T) {
	tests := []struct {
		name      string
		autoRenew bool
		notice    int
		want      []Violation
	}{
		{"auto-renew with 30 days", true, 30, []Violation{}},
		{"auto-renew with 90 days", true, 90, []Violation{}},
		{"auto-renew with 29 days", true, 29, []Violation{
			{"renewal-notice", "auto-renewing contracts need a notice period of at least 30 days (got 29)"},
		}},
		{"auto-renew with no notice", true, 0, []Violation{
			{"renewal-notice", "auto-renewing contracts need a notice period of at least 30 days (got 0)"},
		}},
		{"fixed term with short notice", false, 7, []Violation{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := modern()
			c.AutoRenew = tt.autoRenew
			c.Terms.NoticePeriodDays = tt.notice
			if got := Validate(c).Violations; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Validate().Violations = %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestRenewalNoticeLegacyContract(t *testing.T) {
	for _, autoRenew := range []bool{true, false} {
		c := modern()
		c.Terms = nil // legacy contracts carry no terms
		c.AutoRenew = autoRenew
		if got := Validate(c); !got.Valid() {
			t.Errorf("Validate(legacy contract, auto_renew=%v) = %v, want valid: legacy contracts are grandfathered", autoRenew, got.Violations)
		}
	}
}
