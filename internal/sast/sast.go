// Package sast is a fast static security scan of Go source, built on gosec's rules
// and analyzers (the Go field's standard): hard-coded credentials, weak crypto
// (MD5, SHA-1, DES, RC4), math/rand where randomness must be secret, SQL built from
// strings, HTTP servers without timeouts, path traversal, command injection and more.
//
// gosec is used as a library: its analyzer and rules packages build without the AI
// SDKs its command-line autofix needs, and scanning a service takes seconds. Unchecked
// errors (G104) are left out: they are a code-quality matter, not a security one.
// Findings can be silenced in code with gosec's "#nosec G101 -- why" comments.
package sast

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/securego/gosec/v2"
	"github.com/securego/gosec/v2/analyzers"
	"github.com/securego/gosec/v2/issue"
	"github.com/securego/gosec/v2/rules"
)

// Severities of a finding.
const (
	High   = "high"
	Medium = "medium"
	Low    = "low"
)

// Finding is one security problem in the source.
type Finding struct {
	// Rule is gosec's rule id, e.g. G101 (hard-coded credentials).
	Rule string
	// Severity is high, medium or low; Confidence says how sure the rule is.
	Severity, Confidence string
	// File is relative to the scanned directory; Line and Col are 1-based.
	File      string
	Line, Col int
	// Message says what was found; CWE is its weakness id (e.g. CWE-798) when known.
	Message, CWE string
}

// Blocking reports whether the finding should fail a pipeline (high or medium).
func (f Finding) Blocking() bool { return f.Severity == High || f.Severity == Medium }

func (f Finding) String() string {
	return fmt.Sprintf("%s:%d:%d: %s [%s, %s severity]", f.File, f.Line, f.Col, f.Message, f.Rule, f.Severity)
}

// ErrIncomplete is wrapped by Scan's error when some code could not be loaded or
// type-checked; the findings returned cover the rest.
var ErrIncomplete = errors.New("scan incomplete")

// excluded rules: G104 (unchecked errors) is not a security finding.
var excluded = []string{"G104"}

// Scan checks the Go packages matched by patterns (relative to dir, like go list:
// "./...", "./internal/...", "./cmd/api"; default "./...") and returns the findings
// sorted by file and position. Test files, testdata, vendor and generated files are
// not scanned. A package that does not compile yields ErrIncomplete with the
// findings of the others.
func Scan(ctx context.Context, dir string, patterns []string) ([]Finding, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("scan %s: %w", dir, err)
	}
	if fi, err := os.Stat(root); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("scan %s: not a directory", dir)
	}
	if gosec.FindModuleRoot(root) == "" {
		return nil, fmt.Errorf("scan %s: not inside a Go module (no go.mod): run it in a module", dir)
	}
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	var pkgDirs []string
	for _, p := range patterns {
		dirs, err := expand(root, p)
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", dir, err)
		}
		pkgDirs = append(pkgDirs, dirs...)
	}
	slices.Sort(pkgDirs)
	pkgDirs = slices.Compact(pkgDirs)

	a := gosec.NewAnalyzer(gosec.NewConfig(), false, true, false, 1, log.New(io.Discard, "", 0))
	a.LoadRules(rules.Generate(false, rules.NewRuleFilter(true, excluded...)).RulesInfo())
	a.LoadAnalyzers(analyzers.Generate(false, analyzers.NewAnalyzerFilter(true, excluded...)).AnalyzersInfo())
	for _, d := range pkgDirs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("scan %s: %w", dir, err)
		}
		if err := a.Process(nil, d); err != nil {
			return nil, fmt.Errorf("scan %s: %w", rel(root, d), err)
		}
	}
	issues, _, loadErrs := a.Report()
	findings := make([]Finding, 0, len(issues))
	seen := map[Finding]bool{}
	for _, is := range issues {
		if is.NoSec || len(is.Suppressions) > 0 {
			continue
		}
		f := convert(root, is)
		if !seen[f] {
			seen[f] = true
			findings = append(findings, f)
		}
	}
	slices.SortFunc(findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col), cmp.Compare(a.Rule, b.Rule))
	})
	if len(loadErrs) > 0 {
		return findings, fmt.Errorf("scan %s: %w: %s", dir, ErrIncomplete, describe(root, loadErrs))
	}
	return findings, nil
}

func convert(root string, is *issue.Issue) Finding {
	f := Finding{
		Rule:       is.RuleID,
		Severity:   strings.ToLower(is.Severity.String()),
		Confidence: strings.ToLower(is.Confidence.String()),
		File:       rel(root, is.File),
		Line:       firstNumber(is.Line),
		Col:        firstNumber(is.Col),
		Message:    is.What,
	}
	if is.Cwe != nil && is.Cwe.ID != "" {
		f.CWE = "CWE-" + is.Cwe.ID
	}
	return f
}

// firstNumber reads "12" or the start of a range "12-14".
func firstNumber(s string) int {
	s, _, _ = strings.Cut(s, "-")
	n, _ := strconv.Atoi(strings.TrimSpace(s))
	return n
}

func rel(root, p string) string {
	r, err := filepath.Rel(root, p)
	if err != nil || strings.HasPrefix(r, "..") {
		return p
	}
	return filepath.ToSlash(r)
}

// describe summarises load errors: how many, and the first few with positions.
func describe(root string, errs map[string][]gosec.Error) string {
	var lines []string
	for file, es := range errs {
		for _, e := range es {
			lines = append(lines, fmt.Sprintf("%s:%d:%d: %s", rel(root, file), e.Line, e.Column, e.Err))
		}
	}
	slices.Sort(lines)
	n := len(lines)
	if n > 3 {
		lines = append(lines[:3], fmt.Sprintf("and %d more", n-3))
	}
	return fmt.Sprintf("%d load errors: %s", n, strings.Join(lines, "; "))
}

// expand turns one pattern into package directories under root.
func expand(root, pattern string) ([]string, error) {
	recursive := pattern == "..." || strings.HasSuffix(pattern, "/...")
	base := strings.TrimSuffix(strings.TrimSuffix(pattern, "..."), "/")
	if base == "" {
		base = "."
	}
	start := base
	if !filepath.IsAbs(start) {
		start = filepath.Join(root, filepath.FromSlash(base))
	}
	fi, err := os.Stat(start)
	if err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("pattern %q: %s is not a directory", pattern, start)
	}
	if !recursive {
		if !hasGo(start) {
			return nil, fmt.Errorf("pattern %q: no Go files in %s", pattern, start)
		}
		return []string{start}, nil
	}
	var dirs []string
	err = filepath.WalkDir(start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if p != start {
			if name == "vendor" || name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		if hasGo(p) {
			dirs = append(dirs, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	return dirs, nil
}

// hasGo reports whether dir holds a non-test Go file.
func hasGo(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			return true
		}
	}
	return false
}
