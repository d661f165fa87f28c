package deploy

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/config"
)

// SmokeResult is one check's outcome.
type SmokeResult struct {
	Name   string        `json:"name"`
	Status int           `json:"status"`
	Want   int           `json:"want"`
	Took   time.Duration `json:"took"`
	Err    string        `json:"error,omitempty"`
}

// OK reports whether the check passed.
func (r SmokeResult) OK() bool { return r.Err == "" && r.Status == r.Want }

// Smoke runs the checks against baseURL and returns every result; err is non-nil when
// any check failed.
func Smoke(ctx context.Context, client *http.Client, baseURL string, checks []config.Check) ([]SmokeResult, error) {
	var results []SmokeResult
	var failed []string
	for _, c := range checks {
		r := smokeOne(ctx, client, baseURL, c)
		results = append(results, r)
		if !r.OK() {
			msg := fmt.Sprintf("%s: %s %s got %d, want %d", c.Name, method(c), c.Path, r.Status, r.Want)
			if r.Err != "" {
				msg = fmt.Sprintf("%s: %s %s: %s", c.Name, method(c), c.Path, r.Err)
			}
			failed = append(failed, msg)
		}
	}
	if len(failed) > 0 {
		return results, fmt.Errorf("smoke tests failed: %s", strings.Join(failed, "; "))
	}
	return results, nil
}

func smokeOne(ctx context.Context, client *http.Client, baseURL string, c config.Check) SmokeResult {
	want := c.Expect
	if want == 0 {
		want = http.StatusOK
	}
	r := SmokeResult{Name: c.Name, Want: want}
	var body io.Reader
	if c.Body != "" {
		body = strings.NewReader(c.Body)
	}
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, method(c), baseURL+c.Path, body)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	if c.Body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := client.Do(req)
	r.Took = time.Since(start)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	r.Status = resp.StatusCode
	return r
}

func method(c config.Check) string {
	if c.Method == "" {
		return http.MethodGet
	}
	return strings.ToUpper(c.Method)
}
