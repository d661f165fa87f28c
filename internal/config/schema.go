package config

import (
	"encoding/json"
	"reflect"
	"slices"
)

// schemaID names the schema for editors that cache it.
const schemaID = "https://slipway.dev/schema/slipway.schema.json"

// required lists, per type, the fields a file must give.
var required = map[reflect.Type][]string{
	reflect.TypeFor[Config]():      {"service", "build", "pipelines"},
	reflect.TypeFor[Pipeline]():    {"steps"},
	reflect.TypeFor[Step]():        {"name", "run"},
	reflect.TypeFor[Environment](): {"name"},
	reflect.TypeFor[Check]():       {"path"},
	reflect.TypeFor[MetricCheck](): {"metric"},
	reflect.TypeFor[VulnGate]():    {"block"},
	reflect.TypeFor[Allowance]():   {"id", "until", "reason"},
	reflect.TypeFor[SLO]():         {"name", "objective"},
	reflect.TypeFor[LatencySLO]():  {"threshold"},
}

// typeConstraints refine the schema of whole types, with the same rules Validate
// enforces across fields.
var typeConstraints = map[reflect.Type]map[string]any{
	// build: main for a Go service, or run and binary together for any other.
	reflect.TypeFor[Build](): {"oneOf": []any{
		map[string]any{"required": []string{"main"}, "not": map[string]any{"anyOf": []any{
			map[string]any{"required": []string{"run"}}, map[string]any{"required": []string{"binary"}},
		}}},
		map[string]any{"required": []string{"run", "binary"}, "not": map[string]any{"required": []string{"main"}}},
	}},
}

// constraints refine the schema of single fields, keyed by "Type.yaml-name", with the
// same rules Validate enforces.
var constraints = map[string]map[string]any{
	"Config.service":            {"pattern": namePattern.String(), "maxLength": 63},
	"Config.pipelines":          {"propertyNames": map[string]any{"enum": pipelineKinds}, "required": []string{"main"}},
	"Build.health":              {"pattern": "^/"},
	"Build.port-env":            {"pattern": envVarPattern.String()},
	"Build.main":                {"minLength": 1},
	"Build.run":                 {"minLength": 1},
	"Build.binary":              {"minLength": 1, "pattern": `^[^/-]`},
	"Step.name":                 {"pattern": stepPattern.String()},
	"Step.run":                  {"minLength": 1},
	"Step.env":                  {"propertyNames": map[string]any{"pattern": envVarPattern.String()}},
	"Environment.name":          {"pattern": namePattern.String()},
	"Environment.promotion":     {"enum": promotions},
	"Environment.replicas":      {"minimum": 1, "maximum": maxReplicas},
	"Check.method":              {"enum": httpMethods},
	"Check.path":                {"pattern": "^/"},
	"Check.expect":              {"minimum": 100, "maximum": 599},
	"Rollout.steps":             {"items": map[string]any{"type": "integer", "minimum": 1, "maximum": 100}, "minItems": 1},
	"Profile.steps":             {"items": map[string]any{"type": "integer", "minimum": 1, "maximum": 100}, "minItems": 1},
	"Analysis.provider":         {"enum": providers},
	"Analysis.min-requests":     {"minimum": 1},
	"Analysis.on-no-data":       {"enum": onNoData},
	"Analysis.low-traffic":      {"enum": []string{"wait", "extend", "fail"}},
	"Analysis.alpha":            {"exclusiveMinimum": 0, "exclusiveMaximum": 0.5},
	"MetricCheck.max-vs-stable": {"minimum": 1},
	"Analysis.checks":           {"minItems": 1},
	"MetricCheck.metric":        {"enum": metrics},
	"MetricCheck.max":           {"type": []string{"string", "number"}},
	"Notify.webhook":            {"pattern": `^(https?://|\$\{)`},
	"Pipeline.steps":            {"minItems": 1},
	"VulnGate.block":            {"enum": severities},
	"VulnGate.unknown":          {"enum": severities},
	"Allowance.until":           {"type": "string", "pattern": `^[0-9]{4}-[0-9]{2}-[0-9]{2}$`},
	"SLO.name":                  {"pattern": namePattern.String()},
	"SLO.objective":             {"type": []string{"string", "number"}},
	"SLO.window":                {"pattern": `^([0-9]+w)?([0-9]+d)?([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))*$`},
	"SLO.min-requests":          {"minimum": 1},
}

// Schema returns a JSON Schema (draft 2020-12) of slipway.yaml, generated from the Go
// types by reflection, for editors to complete and check the file.
func Schema() []byte {
	g := schemaGen{defs: map[string]any{}}
	ref := g.of(configType, "")["$ref"]
	root := map[string]any{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"$id":     schemaID,
		"title":   "slipway.yaml",
		"$ref":    ref,
		"$defs":   g.defs,
	}
	out, err := json.MarshalIndent(root, "", "  ")
	if err != nil {
		panic("config: schema does not marshal: " + err.Error()) // static data: a bug here, not bad input
	}
	return append(out, '\n')
}

type schemaGen struct {
	defs map[string]any
}

// of returns the schema of type t; key is "Type.field" when t is a field's type.
func (g *schemaGen) of(t reflect.Type, key string) map[string]any {
	var s map[string]any
	switch {
	case t == durationType:
		s = map[string]any{"type": "string", "pattern": `^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$`}
	case t.Kind() == reflect.Pointer:
		return g.of(t.Elem(), key)
	case t.Kind() == reflect.Struct:
		g.define(t)
		s = map[string]any{"$ref": "#/$defs/" + t.Name()}
	case t.Kind() == reflect.Map:
		s = map[string]any{"type": "object", "additionalProperties": g.of(t.Elem(), "")}
	case t.Kind() == reflect.Slice:
		s = map[string]any{"type": "array", "items": g.of(t.Elem(), "")}
	case t.Kind() == reflect.String:
		s = map[string]any{"type": "string"}
	case t.Kind() == reflect.Int:
		s = map[string]any{"type": "integer"}
	case t.Kind() == reflect.Bool:
		s = map[string]any{"type": "boolean"}
	default:
		s = map[string]any{}
	}
	for k, v := range constraints[key] {
		s[k] = v
	}
	return s
}

// define adds struct type t to $defs once.
func (g *schemaGen) define(t reflect.Type) {
	if _, ok := g.defs[t.Name()]; ok {
		return
	}
	def := map[string]any{"type": "object", "additionalProperties": false}
	g.defs[t.Name()] = def // before the fields, so recursive types terminate
	props := map[string]any{}
	for i := range t.NumField() {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		props[name] = g.of(f.Type, t.Name()+"."+name)
	}
	def["properties"] = props
	if req := required[t]; len(req) > 0 {
		def["required"] = slices.Clone(req)
	}
	for k, v := range typeConstraints[t] {
		def[k] = v
	}
}
