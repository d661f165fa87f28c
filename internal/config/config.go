package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	// File is the name the configuration was read from; empty for a Config built in Go.
	File string
	// Line and Col locate the offending node (1-based); zero when unknown.
	Line, Col int
	// Field is the path of the offending field, e.g. environments[2].rollout.steps.
	Field string
	// Msg says what is wrong and what to do.
	Msg string
}

// String renders the problem as "file:line:col: field: message".
func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		if p.Line > 0 {
			fmt.Fprintf(&b, ":%d:%d", p.Line, p.Col)
		}
		b.WriteString(": ")
	}
	if p.Field != "" {
		b.WriteString(p.Field)
		b.WriteString(": ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error lists every problem found in a configuration.
type Error struct {
	Problems []Problem
}

// Error returns one line per problem.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Load reads and parses the configuration file at path. See [Parse].
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load config: %w", err)
	}
	return Parse(filepath.Base(path), data)
}

// Parse decodes data, the content of the file named file, fills in defaults and
// validates the result. Unknown fields, wrong types and invalid values are all
// reported together in an [*Error] whose problems carry line and column.
func Parse(file string, data []byte) (*Config, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, &Error{Problems: []Problem{yamlProblem(file, err)}}
	}
	var body ast.Node
	for i, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if body != nil {
			return nil, &Error{Problems: []Problem{at(file, position(doc.Body, nil), "", fmt.Sprintf("a second YAML document starts here (document %d): slipway.yaml holds exactly one", i+1))}}
		}
		body = doc.Body
	}

	var c Config
	var probs []Problem
	if body != nil {
		// Check the shape first: it reports every unknown field and wrong type at
		// once, where the decoder would stop at the first.
		badValues := false
		checkShape(body, configType, "", func(n ast.Node, field, msg string, unknown bool) {
			probs = append(probs, at(file, position(n, nil), field, msg))
			badValues = badValues || !unknown
		})
		if badValues {
			return nil, sorted(probs)
		}
		opts := []yaml.DecodeOption{yaml.Strict()}
		if len(probs) > 0 {
			// The unknown fields are reported already: decode the rest leniently so
			// that the problems in the known fields are reported alongside them.
			opts = nil
		}
		if err := decode(body, &c, opts); err != nil {
			if len(probs) == 0 {
				probs = append(probs, yamlProblem(file, err))
			}
			return nil, sorted(probs)
		}
	}
	c.setDefaults()
	if err := c.Validate(); err != nil {
		var ce *Error
		if !errors.As(err, &ce) {
			return nil, err
		}
		shaped := len(probs)
		for _, p := range ce.Problems {
			if covered(p.Field, probs[:shaped]) {
				continue
			}
			p.File = file
			p.Line, p.Col = 1, 1
			if n := lookup(body, p.Field); n != nil {
				if tk := n.GetToken(); tk != nil && tk.Position != nil {
					p.Line, p.Col = tk.Position.Line, tk.Position.Column
				}
			}
			probs = append(probs, p)
		}
	}
	if len(probs) > 0 {
		return nil, sorted(probs)
	}
	return &c, nil
}

// Env returns the environment called name.
func (c *Config) Env(name string) (*Environment, bool) {
	for i := range c.Environments {
		if c.Environments[i].Name == name {
			return &c.Environments[i], true
		}
	}
	return nil, false
}

// decode fills c from the YAML tree. The decoder has been seen to panic on some
// malformed trees; bad input must give an error, never a crash.
func decode(body ast.Node, c *Config, opts []yaml.DecodeOption) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("the YAML cannot be decoded (%v): compare it with the output of slipway config schema", v)
		}
	}()
	return yaml.NodeToValue(body, c, opts...)
}

// sorted returns the problems as an *Error, in file order.
func sorted(probs []Problem) *Error {
	sort.SliceStable(probs, func(i, j int) bool {
		a, b := probs[i], probs[j]
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return &Error{Problems: probs}
}

// covered reports whether field is, or lies under, a field already reported.
func covered(field string, reported []Problem) bool {
	for _, p := range reported {
		if p.Field != "" && (field == p.Field || strings.HasPrefix(field, p.Field+".") || strings.HasPrefix(field, p.Field+"[")) {
			return true
		}
	}
	return false
}

// at makes a problem located at node n.
func at(file string, n ast.Node, field, msg string) Problem {
	p := Problem{File: file, Field: field, Msg: msg, Line: 1, Col: 1}
	if n != nil {
		if tk := n.GetToken(); tk != nil && tk.Position != nil {
			p.Line, p.Col = tk.Position.Line, tk.Position.Column
		}
	}
	return p
}

// yamlProblem turns a parser or decoder error into a located problem.
func yamlProblem(file string, err error) Problem {
	p := Problem{File: file, Line: 1, Col: 1, Msg: err.Error()}
	var ye yaml.Error
	if errors.As(err, &ye) {
		p.Msg = ye.GetMessage()
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			p.Line, p.Col = tk.Position.Line, tk.Position.Column
		}
	}
	return p
}
