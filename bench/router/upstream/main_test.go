package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(newHandler("B"))
	defer srv.Close()
	tests := []struct {
		query    string
		wantCode int
		wantBody string
	}{
		{"", http.StatusOK, `{"id":42,"status":"active","plan":"standard","version":"B"}` + "\n"},
		{"?delay_ms=1", http.StatusOK, `{"id":42,"status":"active","plan":"standard","version":"B"}` + "\n"},
		{"?delay_ms=-1", http.StatusBadRequest, "delay_ms \"-1\": use whole milliseconds from 0 to 1000\n"},
		{"?delay_ms=abc", http.StatusBadRequest, "delay_ms \"abc\": use whole milliseconds from 0 to 1000\n"},
		{"?delay_ms=5000", http.StatusBadRequest, "delay_ms \"5000\": use whole milliseconds from 0 to 1000\n"},
	}
	for _, tt := range tests {
		resp, err := http.Get(srv.URL + "/contracts/42" + tt.query)
		if err != nil {
			t.Fatalf("GET %s: %v", tt.query, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.wantCode || string(body) != tt.wantBody {
			t.Errorf("GET %q = %d %q, want %d %q", tt.query, resp.StatusCode, body, tt.wantCode, tt.wantBody)
		}
		if tt.wantCode == http.StatusOK && resp.Header.Get("X-Upstream-Version") != "B" {
			t.Errorf("GET %q: X-Upstream-Version = %q, want B", tt.query, resp.Header.Get("X-Upstream-Version"))
		}
	}
}
