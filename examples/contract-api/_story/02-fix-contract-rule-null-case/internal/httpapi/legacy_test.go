package httpapi

import (
	"strings"
	"testing"
)

// legacyContract has no terms: contracts signed before terms were recorded look like this.
const legacyContract = `{"id":"C-0007","customer_id":"CUST-3","product":"fiber-500","amount_cents":99900,"currency":"EUR","start_date":"2019-03-01","end_date":"2020-03-01","auto_renew":true}`

func TestValidateLegacyContract(t *testing.T) {
	srv, logs := newTestServer(t)
	tests := []struct{ name, body, want string }{
		{"auto-renewing legacy contract", legacyContract,
			`{"id":"C-0007","valid":true,"violations":[],"rules_checked":` + rulesChecked + `}`},
		{"fixed-term legacy contract", strings.Replace(legacyContract, `"auto_renew":true`, `"auto_renew":false`, 1),
			`{"id":"C-0007","valid":true,"violations":[],"rules_checked":` + rulesChecked + `}`},
		{"legacy contract breaking another rule", strings.Replace(legacyContract, `"currency":"EUR"`, `"currency":"ESP"`, 1),
			`{"id":"C-0007","valid":false,"violations":[{"rule":"known-currency","message":"currency \"ESP\" is not an ISO 4217 code we bill in"}],"rules_checked":` + rulesChecked + `}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := do(t, "POST", srv.URL+"/v1/contracts/validate", tt.body)
			if code != 200 || body != tt.want {
				t.Errorf("POST legacy contract = %d %s, want 200 %s", code, body, tt.want)
			}
		})
	}
	if strings.Contains(logs.String(), "panic") {
		t.Errorf("legacy contracts made the server panic:\n%s", logs)
	}
}
