package providertest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// NewBackend starts a real HTTP server standing for one version of a service. It
// answers every request with the status in the "status" query parameter (default
// 200) after the duration in "delay" (default none), and the version in the body.
// Harnesses put it behind the data plane their provider reads.
func NewBackend(t testing.TB, version string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		status, delay, err := parseShape(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if delay > 0 {
			timer := time.NewTimer(delay) // the latency under test, not a wait
			select {
			case <-timer.C:
			case <-req.Context().Done():
				timer.Stop()
				return
			}
		}
		w.WriteHeader(status)
		fmt.Fprint(w, version)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func parseShape(req *http.Request) (int, time.Duration, error) {
	status, delay := http.StatusOK, time.Duration(0)
	if s := req.URL.Query().Get("status"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 200 || n > 599 {
			return 0, 0, fmt.Errorf("status %q is not a status code from 200 to 599", s)
		}
		status = n
	}
	if s := req.URL.Query().Get("delay"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < 0 {
			return 0, 0, fmt.Errorf("delay %q is not a non-negative duration", s)
		}
		delay = d
	}
	return status, delay, nil
}

// Drive sends n GET requests to baseURL + "/contracts/<i>", asking the NewBackend
// behind it for status after latency, at most 8 at a time, and fails t unless every
// one is answered with that status. It returns once all have been answered.
func Drive(t testing.TB, client *http.Client, baseURL string, status int, latency time.Duration, n int) {
	t.Helper()
	if client == nil {
		client = http.DefaultClient
	}
	const workers = 8
	next := make(chan int)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for range min(workers, n) {
		wg.Go(func() {
			for i := range next {
				errs <- drive1(t, client, fmt.Sprintf("%s/contracts/%d?status=%d&delay=%s", baseURL, i, status, latency), status)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func drive1(t testing.TB, client *http.Client, url string, want int) error {
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return fmt.Errorf("GET %s: read body: %w", url, err)
	}
	if resp.StatusCode != want {
		return fmt.Errorf("GET %s = %d, want %d", url, resp.StatusCode, want)
	}
	return nil
}
