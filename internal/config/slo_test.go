package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSLOParse(t *testing.T) {
	c, err := Parse("slipway.yaml", []byte(minimal+`slo:
  - name: availability
    objective: 99.9%
  - name: latency
    objective: 0.99
    window: 4w
    min-requests: 20
    latency: {threshold: 250ms}
`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(c.SLOs) != 2 {
		t.Fatalf("SLOs = %d, want 2", len(c.SLOs))
	}
	a, l := c.SLOs[0], c.SLOs[1]
	if a.Window != "30d" || a.MinRequests != 100 || a.Latency != nil {
		t.Errorf("availability defaults = window %q, min-requests %d, latency %v; want 30d, 100, nil", a.Window, a.MinRequests, a.Latency)
	}
	if r, _ := a.Ratio(); r != 0.999 {
		t.Errorf("Ratio(99.9%%) = %v, want 0.999", r)
	}
	if r, _ := l.Ratio(); r != 0.99 {
		t.Errorf("Ratio(0.99) = %v, want 0.99", r)
	}
	if p, _ := l.Period(); p != 28*24*time.Hour {
		t.Errorf("Period(4w) = %v, want 672h", p)
	}
	if l.Latency == nil || l.Latency.Threshold.D() != 250*time.Millisecond {
		t.Errorf("latency threshold = %v, want 250ms", l.Latency)
	}
}

func TestSLOProblems(t *testing.T) {
	_, err := Parse("slipway.yaml", []byte(minimal+`slo:
  - name: availability
    objective: 100%
    window: 2d
  - name: availability
    objective: fast
    window: month
    min-requests: -1
    latency: {threshold: 300ms}
  - objective: 99%
`))
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("Parse error = %v, want *Error", err)
	}
	var got []string
	for _, p := range ce.Problems {
		got = append(got, p.String())
	}
	want := []string{
		`slipway.yaml:9:16: slo[0].objective: objective "100%" must lie strictly between 0 and 100%: 100% leaves no error budget, write 99.9% or 0.999`,
		`slipway.yaml:10:13: slo[0].window: window "2d" must be from 3d (the longest alert window) to 365d`,
		`slipway.yaml:11:11: slo[1].name: name "availability" is already used by slo[0]: names must be unique`,
		`slipway.yaml:12:16: slo[1].objective: objective "fast" is not a ratio: write 99.9% or 0.999`,
		`slipway.yaml:13:13: slo[1].window: "month" is not a period: write days (30d), weeks (4w) or hours (720h)`,
		`slipway.yaml:14:19: slo[1].min-requests: min-requests must be at least 1`,
		`slipway.yaml:15:26: slo[1].latency.threshold: threshold 300ms is not one of the router's histogram bounds (1ms, 2.5ms, 5ms, 10ms, 25ms, 50ms, 100ms, 250ms, 500ms, 1s, 2.5s, 5s, 10s): pick one, so good requests are counted exactly`,
		`slipway.yaml:16:14: slo[2].name: name is required: e.g. availability or latency`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("problems (-want +got):\n%s", diff)
	}
}

func TestParsePeriod(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 720 * time.Hour, true},
		{"4w", 672 * time.Hour, true},
		{"1w2d", 216 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"720h", 720 * time.Hour, true},
		{"0d", 0, false},
		{"d", 0, false},
		{"-3d", 0, false},
		{"30 days", 0, false},
		{"", 0, false},
	} {
		got, err := ParsePeriod(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// TestScaffoldSLOUncommented checks that the objectives slipway init writes as a
// comment are valid once uncommented.
func TestScaffoldSLOUncommented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "init", "go-service.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		switch {
		case l == "# slo:":
			l = "slo:"
		case strings.HasPrefix(l, "#   "):
			l = strings.TrimPrefix(l, "#")
		}
		lines = append(lines, l)
	}
	c, err := Parse("slipway.yaml", []byte(strings.Join(lines, "\n")))
	if err != nil {
		t.Fatalf("uncommented scaffold: %v", err)
	}
	if len(c.SLOs) != 2 || c.SLOs[1].Latency == nil {
		t.Errorf("uncommented scaffold has objectives %+v, want availability and latency", c.SLOs)
	}
}
