package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

const validContract = `{"id":"C-1042","customer_id":"CUST-77","product":"fiber-500","amount_cents":129900,"currency":"EUR","start_date":"2026-01-01","end_date":"2027-01-01","auto_renew":true,"terms":{"notice_period_days":30,"jurisdiction":"PT"}}`

const rulesChecked = `["required-fields","positive-amount","known-currency","end-after-start","renewal-notice"]`

func newTestServer(t *testing.T) (*httptest.Server, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	srv := httptest.NewServer(New(log, "1.11.3"))
	t.Cleanup(srv.Close)
	return srv, &logs
}

func do(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func TestRoutes(t *testing.T) {
	srv, _ := newTestServer(t)
	tests := []struct {
		name, method, path, body string
		wantCode                 int
		wantBody                 string
	}{
		{"health", "GET", "/healthz", "", 200, "ok"},
		{"version", "GET", "/version", "", 200, `{"version":"1.11.3"}`},
		{"valid contract", "POST", "/v1/contracts/validate", validContract, 200,
			`{"id":"C-1042","valid":true,"violations":[],"rules_checked":` + rulesChecked + `}`},
		{"invalid contract", "POST", "/v1/contracts/validate",
			strings.Replace(validContract, `"currency":"EUR"`, `"currency":"XYZ"`, 1), 200,
			`{"id":"C-1042","valid":false,"violations":[{"rule":"known-currency","message":"currency \"XYZ\" is not an ISO 4217 code we bill in"}],"rules_checked":` + rulesChecked + `}`},
		{"malformed JSON", "POST", "/v1/contracts/validate", `{"id":`, 400,
			`{"error":"malformed contract JSON: unexpected EOF"}`},
		{"wrong type", "POST", "/v1/contracts/validate", `{"amount_cents":"lots"}`, 400,
			`{"error":"malformed contract JSON: json: cannot unmarshal string into Go struct field Contract.amount_cents of type int64"}`},
		{"trailing data", "POST", "/v1/contracts/validate", validContract + `{}`, 400,
			`{"error":"malformed contract JSON: data after the contract object"}`},
		{"too large", "POST", "/v1/contracts/validate", `{"id":"` + strings.Repeat("x", maxBody) + `"}`, 413,
			`{"error":"contract is larger than 1048576 bytes"}`},
		{"price", "GET", "/v1/products/fiber-500/price?months=24", "", 200,
			`{"product":"fiber-500","months":24,"monthly_cents":3999,"discount_percent":10,"total_cents":86378}`},
		{"price default term", "GET", "/v1/products/mobile-10/price", "", 200,
			`{"product":"mobile-10","months":12,"monthly_cents":1299,"discount_percent":5,"total_cents":14809}`},
		{"unknown product", "GET", "/v1/products/dial-up/price", "", 404, `{"error":"quote \"dial-up\": unknown product"}`},
		{"bad months", "GET", "/v1/products/fiber-500/price?months=ever", "", 400, `{"error":"months \"ever\" is not a whole number"}`},
		{"wrong method", "GET", "/v1/contracts/validate", "", 405, "Method Not Allowed"},
		{"unknown route", "GET", "/nope", "", 404, "404 page not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := do(t, tt.method, srv.URL+tt.path, tt.body)
			if code != tt.wantCode || body != tt.wantBody {
				t.Errorf("%s %s = %d %s, want %d %s", tt.method, tt.path, code, body, tt.wantCode, tt.wantBody)
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	srv, logs := newTestServer(t)
	req, _ := http.NewRequest("GET", srv.URL+"/healthz", nil)
	req.Header.Set("X-Request-Id", "req-123")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-Id"); got != "req-123" {
		t.Errorf("X-Request-Id = %q, want the caller's req-123", got)
	}
	if !strings.Contains(logs.String(), `"request_id":"req-123"`) {
		t.Errorf("access log lacks the request id:\n%s", logs)
	}

	resp, err = http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if id := resp.Header.Get("X-Request-Id"); len(id) != 16 {
		t.Errorf("generated X-Request-Id = %q, want 16 hex digits", id)
	}
}

func TestRecovery(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	boom := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		var m map[string]int
		m["x"]++ // a nil map write: a real runtime panic
	})
	srv := httptest.NewServer(withRequestID(withRecovery(log, boom)))
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/v1/contracts/validate", nil)
	req.Header.Set("X-Request-Id", "req-boom")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || strings.TrimSpace(string(body)) != `{"error":"internal error"}` {
		t.Errorf("panicking handler answered %d %s, want 500 internal error", resp.StatusCode, body)
	}
	var entry map[string]any
	if err := json.Unmarshal(logs.Bytes(), &entry); err != nil {
		t.Fatalf("log is not one JSON line: %v\n%s", err, logs.String())
	}
	if entry["level"] != "ERROR" || entry["request_id"] != "req-boom" ||
		!strings.Contains(entry["panic"].(string), "nil map") ||
		!strings.Contains(entry["stack"].(string), "TestRecovery") {
		t.Errorf("panic log = %v, want level ERROR, the request id, the panic and the stack", entry)
	}
}
