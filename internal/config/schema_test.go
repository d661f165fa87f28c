package config

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

func TestSchemaGolden(t *testing.T) {
	golden := filepath.Join("testdata", "slipway.schema.json")
	got := Schema()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run go test -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("Schema() differs from %s: run go test ./internal/config -update and review the diff", golden)
	}
}

// compileSchema compiles Schema() with a real JSON Schema implementation, which also
// checks it against the draft 2020-12 meta-schema.
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(schemaID, doc); err != nil {
		t.Fatalf("add schema: %v", err)
	}
	s, err := c.Compile(schemaID)
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	return s
}

func instance(t *testing.T, src []byte) any {
	t.Helper()
	js, err := yaml.YAMLToJSON(src)
	if err != nil {
		t.Fatalf("YAMLToJSON: %v", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		t.Fatalf("UnmarshalJSON: %v", err)
	}
	return v
}

func TestSchemaAcceptsValidFiles(t *testing.T) {
	s := compileSchema(t)
	for _, path := range []string{"testdata/valid.yaml", "../../examples/contract-api/slipway.yaml", "../../examples/quote-api/slipway.yaml"} {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Validate(instance(t, src)); err != nil {
			t.Errorf("schema rejects %s: %v", path, err)
		}
	}
	anyLanguage := "service: api\nbuild: {run: cargo build --release, binary: target/release/api}\npipelines: {main: {steps: [{name: a, run: cargo test}]}}\n"
	if err := s.Validate(instance(t, []byte(anyLanguage))); err != nil {
		t.Errorf("schema rejects build.run with build.binary: %v", err)
	}
	if _, err := Parse("slipway.yaml", []byte(anyLanguage)); err != nil {
		t.Errorf("Parse rejects build.run with build.binary: %v", err)
	}
}

func TestSchemaRejectsInvalid(t *testing.T) {
	s := compileSchema(t)
	tests := []struct{ name, src string }{
		{"unknown field", minimal + "colour: blue\n"},
		{"no main pipeline", "service: api\nbuild: {main: ./cmd/api}\npipelines: {branch: {steps: [{name: a, run: b}]}}\n"},
		{"unknown pipeline kind", minimal + "  nightly: {steps: [{name: a, run: b}]}\n"},
		{"bad service name", "service: API\nbuild: {main: ./x}\npipelines: {main: {steps: [{name: a, run: b}]}}\n"},
		{"replicas out of range", minimal + "environments: [{name: dev, replicas: 11}]\n"},
		{"unknown provider", minimal + "environments: [{name: prod, rollout: {analysis: {provider: datadog, checks: [{metric: error-rate, max: 1%}]}}}]\n"},
		{"bad duration", minimal + "environments: [{name: prod, rollout: {bake: soon, analysis: {checks: [{metric: error-rate, max: 1%}]}}}]\n"},
		{"build main and run", "service: api\nbuild: {main: ./x, run: make, binary: out/api}\npipelines: {main: {steps: [{name: a, run: b}]}}\n"},
		{"build run without binary", "service: api\nbuild: {run: make}\npipelines: {main: {steps: [{name: a, run: b}]}}\n"},
		{"build binary without run", "service: api\nbuild: {binary: out/api}\npipelines: {main: {steps: [{name: a, run: b}]}}\n"},
		{"build binary absolute", "service: api\nbuild: {run: make, binary: /bin/api}\npipelines: {main: {steps: [{name: a, run: b}]}}\n"},
		{"step weight over 100", minimal + "environments: [{name: prod, rollout: {steps: [50, 150], analysis: {checks: [{metric: error-rate, max: 1%}]}}}]\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Validate(instance(t, []byte(tt.src))); err == nil {
				t.Errorf("schema accepts %s:\n%s", tt.name, tt.src)
			}
			if _, err := Parse("slipway.yaml", []byte(tt.src)); err == nil {
				t.Errorf("Parse accepts %s, but the schema rejects it", tt.name)
			}
		})
	}
}
