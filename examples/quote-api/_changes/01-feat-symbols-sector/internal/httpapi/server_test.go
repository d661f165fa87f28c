package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	at := time.Date(2026, 3, 2, 11, 16, 0, 0, time.UTC)
	srv := httptest.NewServer(New(slog.New(slog.NewTextHandler(io.Discard, nil)), "1.0.0", func() time.Time { return at }))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, srv *httptest.Server, path string, v any) int {
	t.Helper()
	resp, err := http.Get(srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if v != nil {
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatalf("GET %s: decode: %v", path, err)
		}
	}
	return resp.StatusCode
}

func TestQuote(t *testing.T) {
	srv := newTestServer(t)
	var q struct {
		Symbol   string  `json:"symbol"`
		Price    float64 `json:"price"`
		Bid, Ask float64
		Currency string `json:"currency"`
	}
	if code := get(t, srv, "/v1/quotes?symbol=ACME", &q); code != http.StatusOK {
		t.Fatalf("GET /v1/quotes?symbol=ACME = %d, want 200", code)
	}
	if q.Symbol != "ACME" || q.Price <= 0 || q.Currency != "USD" || q.Bid >= q.Ask {
		t.Errorf("quote = %+v, want a priced ACME quote in USD", q)
	}
	for path, want := range map[string]int{"/v1/quotes": 400, "/v1/quotes?symbol=NOPE": 404} {
		if code := get(t, srv, path, nil); code != want {
			t.Errorf("GET %s = %d, want %d", path, code, want)
		}
	}
}

func TestSymbols(t *testing.T) {
	srv := newTestServer(t)
	var body struct {
		Symbols []map[string]any `json:"symbols"`
	}
	if code := get(t, srv, "/v1/symbols", &body); code != http.StatusOK || len(body.Symbols) != 5 {
		t.Fatalf("GET /v1/symbols = %d with %d symbols, want 200 with 5", code, len(body.Symbols))
	}
	if body.Symbols[0]["symbol"] != "ACME" || body.Symbols[0]["name"] == "" || body.Symbols[0]["sector"] != "industrials" {
		t.Errorf("first symbol = %v, want ACME with its name and sector industrials", body.Symbols[0])
	}
}

func TestHealthAndVersion(t *testing.T) {
	srv := newTestServer(t)
	if code := get(t, srv, "/health/ready", nil); code != http.StatusOK {
		t.Errorf("GET /health/ready = %d, want 200", code)
	}
	var v map[string]string
	if code := get(t, srv, "/version", &v); code != http.StatusOK || v["version"] != "1.0.0" {
		t.Errorf("GET /version = %d %v, want 200 1.0.0", code, v)
	}
}
