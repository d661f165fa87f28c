// Package httpapi serves quote-api's HTTP routes.
package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"quote-api/internal/market"
)

// Server answers the quote API.
type Server struct {
	log     *slog.Logger
	version string
	now     func() time.Time
	mux     *http.ServeMux
}

// New returns the API's handler. now is the clock quotes are priced at; nil means
// time.Now.
func New(log *slog.Logger, version string, now func() time.Time) *Server {
	if now == nil {
		now = time.Now
	}
	s := &Server{log: log, version: version, now: now, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /v1/quotes", s.quote)
	s.mux.HandleFunc("GET /v1/symbols", s.symbols)
	s.mux.HandleFunc("GET /health/ready", s.ready)
	s.mux.HandleFunc("GET /version", s.versionInfo)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) quote(w http.ResponseWriter, r *http.Request) {
	ticker := r.URL.Query().Get("symbol")
	if ticker == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "symbol is required, e.g. /v1/quotes?symbol=ACME"})
		return
	}
	sym, ok := market.Lookup(ticker)
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown symbol " + ticker + ": see /v1/symbols"})
		return
	}
	writeJSON(w, http.StatusOK, market.Price(sym, s.now()))
}

func (s *Server) symbols(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"symbols": market.Symbols()})
}

func (s *Server) ready(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

func (s *Server) versionInfo(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"version": s.version})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
