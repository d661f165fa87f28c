// Package httpapi serves the contract API: contract validation, price quotes, health
// and version. Handlers return errors; one adapter turns them into status codes.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"

	"contract-api/internal/domain"
	"contract-api/internal/pricing"

	"go.opentelemetry.io/otel"
)

var tracer = otel.Tracer("contract-api/internal/httpapi")

// validate applies the domain rules to c in a span of its own.
func validate(ctx context.Context, c domain.Contract) domain.Report {
	_, span := tracer.Start(ctx, "domain.Validate")
	defer span.End()
	return domain.Validate(c)
}

// maxBody bounds a request body.
const maxBody = 1 << 20

// New returns the API's handler. log receives access and error logs; version is
// reported by GET /version.
func New(log *slog.Logger, version string) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /v1/contracts/validate", handle(validateContract))
	mux.Handle("GET /v1/products/{product}/price", handle(price))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok"))
	})
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"version": version})
	})
	return instrument(log, mux)
}

// httpError is an error with the status code and message the client sees.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return fmt.Sprintf("%d %s", e.code, e.msg) }

type errorBody struct {
	Error string `json:"error"`
}

// handle adapts a handler that returns an error.
func handle(h func(w http.ResponseWriter, r *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		var he *httpError
		if !errors.As(err, &he) {
			he = &httpError{code: http.StatusInternalServerError, msg: "internal error"}
		}
		writeJSON(w, he.code, errorBody{Error: he.msg})
	})
}

// validateResponse is the body of POST /v1/contracts/validate.
type validateResponse struct {
	ID         string             `json:"id"`
	Valid      bool               `json:"valid"`
	Violations []domain.Violation `json:"violations"`
}

func validateContract(w http.ResponseWriter, r *http.Request) error {
	var c domain.Contract
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(&c); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &httpError{http.StatusRequestEntityTooLarge, fmt.Sprintf("contract is larger than %d bytes", maxBody)}
		}
		return &httpError{http.StatusBadRequest, "malformed contract JSON: " + err.Error()}
	}
	if dec.More() {
		return &httpError{http.StatusBadRequest, "malformed contract JSON: data after the contract object"}
	}
	rep := validate(r.Context(), c)
	writeJSON(w, http.StatusOK, validateResponse{ID: c.ID, Valid: rep.Valid(), Violations: rep.Violations})
	return nil
}

func price(w http.ResponseWriter, r *http.Request) error {
	months := 12
	if s := r.URL.Query().Get("months"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return &httpError{http.StatusBadRequest, fmt.Sprintf("months %q is not a whole number", s)}
		}
		months = n
	}
	q, err := pricing.For(r.PathValue("product"), months)
	switch {
	case errors.Is(err, pricing.ErrUnknownProduct):
		return &httpError{http.StatusNotFound, err.Error()}
	case err != nil:
		return &httpError{http.StatusBadRequest, err.Error()}
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
