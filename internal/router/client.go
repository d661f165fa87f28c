package router

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Client talks to a router's admin API.
type Client struct {
	// AdminURL is the admin base URL, e.g. http://127.0.0.1:9091.
	AdminURL string
	// HTTP is the client used; nil means http.DefaultClient. Bound each call with ctx.
	HTTP *http.Client
}

// Apply sends cfg to the router and returns the Config it applied (and persisted).
// A rejected Config returns a *ValidationError listing the router's objections.
func (c *Client) Apply(ctx context.Context, cfg Config) (Config, error) {
	body, err := json.Marshal(cfg)
	if err != nil {
		return Config{}, fmt.Errorf("encode router config: %w", err)
	}
	var out Config
	if err := c.do(ctx, http.MethodPut, "/config", body, &out); err != nil {
		return Config{}, fmt.Errorf("apply router config for %s/%s: %w", cfg.Service, cfg.Env, err)
	}
	return out, nil
}

// Config returns the Config the router currently applies.
func (c *Client) Config(ctx context.Context) (Config, error) {
	var out Config
	if err := c.do(ctx, http.MethodGet, "/config", nil, &out); err != nil {
		return Config{}, fmt.Errorf("read router config: %w", err)
	}
	return out, nil
}

func (c *Client) do(ctx context.Context, method, path string, body []byte, out any) error {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	u := strings.TrimRight(c.AdminURL, "/") + path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, u, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read response: %w", method, u, err)
	}
	if resp.StatusCode != http.StatusOK {
		var eb errorBody
		if json.Unmarshal(data, &eb) != nil || eb.Error == "" {
			return fmt.Errorf("%s %s: %s: %s", method, u, resp.Status, strings.TrimSpace(string(data)))
		}
		if resp.StatusCode == http.StatusBadRequest && len(eb.Problems) > 0 {
			return &ValidationError{Problems: eb.Problems}
		}
		return fmt.Errorf("%s %s: %s: %s", method, u, resp.Status, eb.Error)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decode response: %w", method, u, err)
	}
	return nil
}
