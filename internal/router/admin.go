package router

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// maxConfigBytes bounds a PUT /config body.
const maxConfigBytes = 1 << 20

// Admin returns the admin API:
//
//	PUT /config   validate, persist and apply a Config; answers the applied Config,
//	              or 400 with {"error": ..., "problems": [...]} and no change
//	GET /config   the applied Config
//	GET /metrics  Prometheus exposition of the router's series
//	GET /healthz  200 with the applied generation
func (r *Router) Admin() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("PUT /config", r.handle(r.putConfig))
	mux.Handle("GET /config", r.handle(r.getConfig))
	mux.Handle("GET /healthz", r.handle(r.healthz))
	mux.Handle("GET /metrics", promhttp.HandlerFor(r.metrics.reg, promhttp.HandlerOpts{
		ErrorLog: errorLogger{r},
	}))
	return mux
}

func (r *Router) putConfig(w http.ResponseWriter, req *http.Request) error {
	body := http.MaxBytesReader(w, req.Body, maxConfigBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	var cfg Config
	if err := dec.Decode(&cfg); err != nil {
		return &httpError{Code: http.StatusBadRequest,
			Msg: fmt.Sprintf("decode config: %v (send a JSON router config)", err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &httpError{Code: http.StatusBadRequest, Msg: "decode config: trailing data after the JSON object"}
	}
	applied, err := r.Apply(cfg)
	var verr *ValidationError
	if errors.As(err, &verr) {
		return &httpError{Code: http.StatusBadRequest, Msg: verr.Error(), Problems: verr.Problems}
	}
	if err != nil {
		return &httpError{Code: http.StatusInternalServerError, Msg: "apply config: not persisted, nothing changed", Err: err}
	}
	return writeJSON(w, http.StatusOK, applied)
}

func (r *Router) getConfig(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, r.Config())
}

func (r *Router) healthz(w http.ResponseWriter, _ *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "generation": r.table.Load().cfg.Generation})
}

// httpError is an admin API failure: Code and Msg go to the client, Err to the log.
type httpError struct {
	Code     int
	Msg      string
	Problems []string
	Err      error
}

func (e *httpError) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *httpError) Unwrap() error { return e.Err }

// errorBody is the JSON shape of every admin API error.
type errorBody struct {
	Error    string   `json:"error"`
	Problems []string `json:"problems,omitempty"`
}

// handle adapts an error-returning handler: one place maps errors to a status code
// and a log line. An *httpError has not written anything yet and is answered as JSON;
// any other error happened while writing the response, so it is only logged.
func (r *Router) handle(h func(http.ResponseWriter, *http.Request) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		err := h(w, req)
		if err == nil {
			return
		}
		he, ok := err.(*httpError)
		if !ok {
			r.log.Debug("write admin response", "method", req.Method, "path", req.URL.Path, "err", err)
			return
		}
		msg := he.Msg
		if he.Code >= 500 {
			r.log.Error("admin request", "method", req.Method, "path", req.URL.Path, "err", err)
			msg = he.Error()
		} else {
			r.log.Info("admin request rejected", "method", req.Method, "path", req.URL.Path, "err", err)
		}
		_ = writeJSON(w, he.Code, errorBody{Error: msg, Problems: he.Problems})
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, err = w.Write(append(data, '\n'))
	return err
}

// errorLogger routes promhttp's errors to the router's logger.
type errorLogger struct{ r *Router }

func (l errorLogger) Println(v ...any) { l.r.log.Error("serve metrics", "err", fmt.Sprint(v...)) }
