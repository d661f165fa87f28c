package config

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// EnvPolicy names the pinned policy file when slipway up is given no --policy.
const EnvPolicy = "SLIPWAY_POLICY"

// PolicyFile is a policy pinned outside the service's repository, given to the
// control plane (slipway up --policy FILE, or $SLIPWAY_POLICY). For each
// environment it names, its policy replaces whatever a commit's slipway.yaml
// says about trusted keys and the vulnerability gate, so that a commit cannot
// loosen what production accepts:
//
//	environments:
//	  prod:
//	    keys: [keys/release-2026.pub, keys/release-2027.pub]
//	    vulnerabilities: {block: high, max-db-age: 7d}
//	default:            # every other environment; omit to leave them to slipway.yaml
//	  keys: [keys/release-2026.pub]
//
// Key paths are relative to the file's directory.
type PolicyFile struct {
	// Environments maps an environment name to the policy it is held to.
	Environments map[string]Policy `yaml:"environments" json:"environments,omitempty"`
	// Default is the policy of every environment Environments does not name.
	// Default: none (those environments keep slipway.yaml's policy).
	Default *Policy `yaml:"default" json:"default,omitempty"`
	// Path is the file it was read from.
	Path string `yaml:"-" json:"-"`
}

// For returns the policy env is held to and where it was set: the pinned one,
// or else fromRepo (the policy the commit's slipway.yaml gives env). A nil
// PolicyFile pins nothing.
func (f *PolicyFile) For(env string, fromRepo Policy) (Policy, string) {
	if f == nil {
		return fromRepo, "slipway.yaml"
	}
	if p, ok := f.Environments[env]; ok {
		return p, fmt.Sprintf("%s (environments.%s)", f.Path, env)
	}
	if f.Default != nil {
		return *f.Default, f.Path + " (default)"
	}
	return fromRepo, "slipway.yaml"
}

// LoadPolicyFile reads and validates a pinned policy file. path "" reads
// $SLIPWAY_POLICY, and returns nil (nothing pinned) when that is unset too.
func LoadPolicyFile(path string) (*PolicyFile, error) {
	if path == "" {
		path = os.Getenv(EnvPolicy)
		if path == "" {
			return nil, nil
		}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	b, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("policy file: %w: give the path of a YAML file with environments: {ENV: {keys: [...], vulnerabilities: {...}}}", err)
	}
	f, err := ParsePolicyFile(abs, b)
	if err != nil {
		return nil, err
	}
	f.resolveKeys(filepath.Dir(abs))
	return f, nil
}

// ParsePolicyFile parses and validates a pinned policy file's content; problems
// name file:line:col as slipway.yaml's do.
func ParsePolicyFile(file string, data []byte) (*PolicyFile, error) {
	tree, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, &Error{Problems: []Problem{yamlProblem(file, err)}}
	}
	var body ast.Node
	if len(tree.Docs) > 0 && tree.Docs[0] != nil {
		body = tree.Docs[0].Body
	}
	f := &PolicyFile{Path: file}
	if body == nil {
		return nil, &Error{Problems: []Problem{{File: file, Line: 1, Col: 1, Msg: "the policy file is empty: name environments: {ENV: {keys: [...]}} or default:"}}}
	}
	var probs []Problem
	checkShape(body, reflect.TypeFor[PolicyFile](), "", func(n ast.Node, field, msg string, _ bool) {
		probs = append(probs, at(file, position(n, nil), field, msg))
	})
	if len(probs) > 0 {
		return nil, sorted(probs)
	}
	if err := yaml.NodeToValue(body, f, yaml.Strict()); err != nil {
		return nil, &Error{Problems: []Problem{yamlProblem(file, err)}}
	}
	var ps problems
	if len(f.Environments) == 0 && f.Default == nil {
		ps.add("", "the policy file pins nothing: name environments: {ENV: {keys: [...]}} or default:")
	}
	names := make([]string, 0, len(f.Environments))
	for name := range f.Environments {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := f.Environments[name]
		p.setDefaults()
		f.Environments[name] = p
		p.validate("environments."+name, &ps)
	}
	if f.Default != nil {
		f.Default.setDefaults()
		f.Default.validate("default", &ps)
	}
	for _, p := range ps {
		p.File, p.Line, p.Col = file, 1, 1
		if n := lookup(body, p.Field); n != nil {
			if tk := n.GetToken(); tk != nil && tk.Position != nil {
				p.Line, p.Col = tk.Position.Line, tk.Position.Column
			}
		}
		probs = append(probs, p)
	}
	if len(probs) > 0 {
		return nil, sorted(probs)
	}
	return f, nil
}

func (p *Policy) setDefaults() {
	if g := p.Vulnerabilities; g != nil && g.Unknown == "" {
		g.Unknown = defaultUnknownSeverity
	}
}

// resolveKeys makes relative key paths relative to dir, the file's directory.
func (f *PolicyFile) resolveKeys(dir string) {
	fix := func(p *Policy) {
		for i, k := range p.Keys {
			if k != "" && !strings.Contains(k, "${") && !strings.Contains(k, "-----BEGIN") && !filepath.IsAbs(k) {
				p.Keys[i] = filepath.Join(dir, k)
			}
		}
	}
	for name, p := range f.Environments {
		fix(&p)
		f.Environments[name] = p
	}
	if f.Default != nil {
		fix(f.Default)
	}
}
