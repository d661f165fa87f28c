package prometheus

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxResponseBytes bounds the body read per query.
const maxResponseBytes = 32 << 20

// sample is one element of an instant vector.
type sample struct {
	Labels map[string]string
	Value  float64
}

// apiResponse is the envelope of every Prometheus HTTP API answer.
type apiResponse struct {
	Status    string          `json:"status"`
	Data      json.RawMessage `json:"data"`
	ErrorType string          `json:"errorType"`
	Error     string          `json:"error"`
	Warnings  []string        `json:"warnings"`
}

type queryData struct {
	ResultType string          `json:"resultType"`
	Result     json.RawMessage `json:"result"`
}

type vectorSample struct {
	Metric map[string]string `json:"metric"`
	Value  [2]any            `json:"value"`
}

// instant evaluates query at the instant at through POST /api/v1/query.
func (p *Provider) instant(ctx context.Context, query string, at time.Time, timeout time.Duration) ([]sample, error) {
	form := url.Values{
		"query":   {query},
		"time":    {strconv.FormatFloat(float64(at.UnixMilli())/1000, 'f', 3, 64)},
		"timeout": {timeout.String()},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.address+"/api/v1/query", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if len(body) > maxResponseBytes {
		return nil, fmt.Errorf("answer is larger than %d bytes: narrow the query", maxResponseBytes)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var ar apiResponse
	if mt != "application/json" || json.Unmarshal(body, &ar) != nil || ar.Status == "" {
		return nil, fmt.Errorf("%s: not a Prometheus API answer: %s", resp.Status, snippet(body))
	}
	if ar.Status != "success" {
		return nil, fmt.Errorf("%s: %s: %s", resp.Status, ar.ErrorType, ar.Error)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s with status %q", resp.Status, ar.Status)
	}
	return decodeResult(ar.Data)
}

func decodeResult(raw json.RawMessage) ([]sample, error) {
	var d queryData
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, fmt.Errorf("decode data: %w", err)
	}
	switch d.ResultType {
	case "vector":
		var vs []vectorSample
		if err := json.Unmarshal(d.Result, &vs); err != nil {
			return nil, fmt.Errorf("decode vector: %w", err)
		}
		out := make([]sample, 0, len(vs))
		for _, v := range vs {
			f, err := sampleValue(v.Value)
			if err != nil {
				return nil, fmt.Errorf("sample %v: %w", v.Metric, err)
			}
			out = append(out, sample{Labels: v.Metric, Value: f})
		}
		return out, nil
	case "scalar":
		var v [2]any
		if err := json.Unmarshal(d.Result, &v); err != nil {
			return nil, fmt.Errorf("decode scalar: %w", err)
		}
		f, err := sampleValue(v)
		if err != nil {
			return nil, fmt.Errorf("scalar: %w", err)
		}
		return []sample{{Value: f}}, nil
	default:
		return nil, fmt.Errorf("result type %q: want an instant vector", d.ResultType)
	}
}

// sampleValue reads the [timestamp, "value"] pair; NaN and infinities are errors,
// since no count or sum may be one.
func sampleValue(v [2]any) (float64, error) {
	s, ok := v[1].(string)
	if !ok {
		return 0, fmt.Errorf("value %v is not a string", v[1])
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("value %q: %w", s, err)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("value %s is not a finite number", s)
	}
	return f, nil
}

func snippet(b []byte) string {
	const max = 200
	s := strings.TrimSpace(string(b))
	if len(s) > max {
		s = s[:max] + "..."
	}
	if s == "" {
		return "(empty body)"
	}
	return s
}
