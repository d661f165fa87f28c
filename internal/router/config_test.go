package router

import (
	"slices"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	ok := func(mod func(*Config)) Config {
		c := Config{Service: "contract-api", Env: "prod", Backends: []Backend{
			{Version: "v1", URL: "http://127.0.0.1:8081", Weight: 90},
			{Version: "v2", URL: "http://127.0.0.1:8082/base", Weight: 10},
		}}
		if mod != nil {
			mod(&c)
		}
		return c
	}
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings, one per expected problem; nil means valid
	}{
		{name: "valid", cfg: ok(nil)},
		{name: "no backends", cfg: Config{Service: "s", Env: "e"}},
		{name: "zero and hundred", cfg: ok(func(c *Config) { c.Backends[0].Weight, c.Backends[1].Weight = 0, 100 })},
		{name: "missing service and env", cfg: ok(func(c *Config) { c.Service, c.Env = "", " " }),
			want: []string{"service is empty", "env is empty"}},
		{name: "sum not 100", cfg: ok(func(c *Config) { c.Backends[1].Weight = 20 }),
			want: []string{"sum to 110"}},
		{name: "negative weight", cfg: ok(func(c *Config) { c.Backends[0].Weight, c.Backends[1].Weight = -10, 110 }),
			want: []string{"backends[0].weight -10 is out of range", "backends[1].weight 110 is out of range"}},
		{name: "one version, two instances", cfg: ok(func(c *Config) { c.Backends[1].Version = "v1" })},
		{name: "duplicate instance", cfg: ok(func(c *Config) { c.Backends[1] = c.Backends[0]; c.Backends[1].Weight = 10 }),
			want: []string{`backends[1] (version "v1" at http://127.0.0.1:8081) duplicates backends[0]`}},
		{name: "empty version", cfg: ok(func(c *Config) { c.Backends[0].Version = "" }),
			want: []string{"backends[0].version is empty"}},
		{name: "bad scheme", cfg: ok(func(c *Config) { c.Backends[0].URL = "ftp://x" }),
			want: []string{`backends[0].url "ftp://x" has scheme "ftp"`}},
		{name: "no host", cfg: ok(func(c *Config) { c.Backends[0].URL = "http://" }),
			want: []string{"has no host"}},
		{name: "empty url", cfg: ok(func(c *Config) { c.Backends[1].URL = "" }),
			want: []string{"backends[1].url \"\" is empty"}},
		{name: "unparsable url", cfg: ok(func(c *Config) { c.Backends[1].URL = "http://[::1" }),
			want: []string{"does not parse"}},
		{name: "query", cfg: ok(func(c *Config) { c.Backends[1].URL = "http://h/?a=b" }),
			want: []string{"query or fragment"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			ve, ok := err.(*ValidationError)
			if !ok {
				t.Fatalf("Validate() = %v, want a *ValidationError", err)
			}
			if len(ve.Problems) != len(tt.want) {
				t.Fatalf("Validate() problems = %q, want %d matching %q", ve.Problems, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if !strings.Contains(ve.Problems[i], w) {
					t.Errorf("problem %d = %q, want it to contain %q", i, ve.Problems[i], w)
				}
			}
		})
	}
}

func TestSpread(t *testing.T) {
	tests := []struct {
		weight int
		urls   []string
		want   []int
	}{
		{100, []string{"a"}, []int{100}},
		{10, []string{"a", "b", "c"}, []int{4, 3, 3}},
		{90, []string{"a", "b", "c"}, []int{30, 30, 30}},
		{1, []string{"a", "b"}, []int{1, 0}},
		{0, []string{"a", "b"}, []int{0, 0}},
		{50, nil, nil},
	}
	for _, tt := range tests {
		got := Spread("v1", tt.weight, tt.urls...)
		var weights []int
		for i, b := range got {
			weights = append(weights, b.Weight)
			if b.Version != "v1" || b.URL != tt.urls[i] {
				t.Errorf("Spread(%d, %q)[%d] = %+v, want version v1 at %s", tt.weight, tt.urls, i, b, tt.urls[i])
			}
		}
		if !slices.Equal(weights, tt.want) {
			t.Errorf("Spread(%d, %q) weights = %v, want %v", tt.weight, tt.urls, weights, tt.want)
		}
	}
}
