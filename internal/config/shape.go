package config

import (
	"encoding"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

var (
	configType   = reflect.TypeFor[Config]()
	durationType = reflect.TypeFor[Duration]()
)

// reportFunc records a problem at node n for the field path field. unknown is true
// for an unknown field, which the decoder can skip, and false for a value it cannot
// decode.
type reportFunc func(n ast.Node, field, msg string, unknown bool)

// checkShape walks the YAML tree n alongside the Go type t and reports every unknown
// field, repeated key and value of the wrong kind, so that one run shows them all.
func checkShape(n ast.Node, t reflect.Type, field string, report reportFunc) {
	n = unwrap(n)
	if n == nil {
		return // an alias: the anchored node is checked where it is defined
	}
	if t == durationType {
		checkDuration(n, field, report)
		return
	}
	if n.Type() == ast.NullType {
		return // null leaves the zero value, which is always allowed
	}
	switch t.Kind() {
	case reflect.Pointer:
		checkShape(n, t.Elem(), field, report)
	case reflect.Struct:
		checkStruct(n, t, field, report)
	case reflect.Map:
		pairs, ok := mappingPairs(n)
		if !ok {
			report(n, field, "must be a mapping of names to values, got "+describe(n), false)
			return
		}
		seen := map[string]int{}
		for _, mv := range pairs {
			key := keyString(mv.Key)
			if line, dup := seen[key]; dup {
				report(mv.Key, join(field, key), fmt.Sprintf("%q is given twice (first on line %d): keep one", key, line), false)
				continue
			}
			seen[key] = mv.Key.GetToken().Position.Line
			checkShape(mv.Value, t.Elem(), join(field, key), report)
		}
	case reflect.Slice:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			report(n, field, "must be a list, got "+describe(n), false)
			return
		}
		for i, item := range seq.Values {
			checkShape(item, t.Elem(), fmt.Sprintf("%s[%d]", field, i), report)
		}
	case reflect.String:
		if _, ok := n.(ast.ScalarNode); !ok {
			report(n, field, "must be text, got "+describe(n), false)
		}
	case reflect.Int:
		switch n.Type() {
		case ast.IntegerType:
		case ast.FloatType:
			report(n, field, "must be a whole number, got "+n.String(), false)
		default:
			report(n, field, "must be a whole number, got "+describe(n), false)
		}
	case reflect.Bool:
		if n.Type() != ast.BoolType {
			report(n, field, "must be true or false, got "+describe(n), false)
		}
	}
}

// checkStruct checks a mapping against the yaml fields of struct type t.
func checkStruct(n ast.Node, t reflect.Type, field string, report reportFunc) {
	pairs, ok := mappingPairs(n)
	if !ok {
		report(n, field, "must be a mapping of fields, got "+describe(n), false)
		return
	}
	fields := yamlFields(t)
	seen := map[string]int{}
	for _, mv := range pairs {
		key := keyString(mv.Key)
		if key == "<<" {
			continue // a merge key: its anchored mapping is checked where defined
		}
		sf, known := fields[key]
		if !known {
			report(mv.Key, join(field, key), unknownFieldMsg(key, fields), true)
			continue
		}
		if line, dup := seen[key]; dup {
			report(mv.Key, join(field, key), fmt.Sprintf("%q is given twice (first on line %d): keep one", key, line), false)
			continue
		}
		seen[key] = mv.Key.GetToken().Position.Line
		checkShape(mv.Value, sf.Type, join(field, key), report)
	}
}

// checkDuration checks that n is a duration such as 90s.
func checkDuration(n ast.Node, field string, report reportFunc) {
	if n.Type() == ast.NullType {
		return
	}
	s, ok := n.(ast.ScalarNode)
	if !ok {
		report(n, field, "must be a duration like 90s or 10m, got "+describe(n), false)
		return
	}
	var d Duration
	var u encoding.TextUnmarshaler = &d
	if err := u.UnmarshalText([]byte(fmt.Sprint(s.GetValue()))); err != nil {
		report(n, field, err.Error(), false)
	}
}

// yamlFields maps the yaml names of t's fields to the fields.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	out := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		if name := yamlName(f); name != "" {
			out[name] = f
		}
	}
	return out
}

// yamlName is the key under which field f appears in slipway.yaml, or "" if it does not.
func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	switch name {
	case "-":
		return ""
	case "":
		return strings.ToLower(f.Name)
	}
	return name
}

// unknownFieldMsg names the closest valid field, or lists them all.
func unknownFieldMsg(key string, fields map[string]reflect.StructField) string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	best, bestDist := "", 3
	for _, name := range names {
		if d := editDistance(key, name); d < bestDist {
			best, bestDist = name, d
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown field %q: did you mean %q?", key, best)
	}
	return fmt.Sprintf("unknown field %q: valid fields are %s", key, strings.Join(names, ", "))
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// unwrap strips anchors and tags; it returns nil for an alias.
func unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		case *ast.AliasNode:
			return nil
		default:
			return n
		}
	}
}

// mappingPairs returns the key/value pairs of a mapping node.
func mappingPairs(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch v := n.(type) {
	case *ast.MappingNode:
		return v.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{v}, true
	}
	return nil, false
}

// keyString is the text of a mapping key.
func keyString(k ast.MapKeyNode) string {
	if s, ok := ast.Node(k).(ast.ScalarNode); ok {
		return fmt.Sprint(s.GetValue())
	}
	return k.String()
}

// describe names the kind of a node for error messages.
func describe(n ast.Node) string {
	switch n.Type() {
	case ast.MappingType, ast.MappingValueType:
		return "a mapping"
	case ast.SequenceType:
		return "a list"
	case ast.NullType:
		return "nothing"
	case ast.BoolType:
		return "true/false"
	case ast.IntegerType, ast.FloatType, ast.InfinityType, ast.NanType:
		return "a number"
	}
	return strconv.Quote(n.String())
}

// join appends key to a field path.
func join(field, key string) string {
	if field == "" {
		return key
	}
	return field + "." + key
}
