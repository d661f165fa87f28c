package config

import (
	"fmt"
	"strings"
	"text/template"
)

// StepVars are the values a step's Run template may use.
type StepVars struct {
	// Commit is the full hash of the commit being run.
	Commit string
	// BaseRef is what the change is compared with: the merge base for branches and pull
	// requests, the previous release for main.
	BaseRef string
	// Branch is the branch being run.
	Branch string
	// Version is the release version, when known (main).
	Version string
	// AffectedPackages are the Go packages the change touches, directly or through
	// their imports. It prints space-separated, so "go test {{.AffectedPackages}}" works.
	AffectedPackages Packages
}

// Packages is a list of Go package patterns that prints space-separated.
type Packages []string

// String joins the packages with spaces.
func (p Packages) String() string { return strings.Join(p, " ") }

// stepVarNames lists StepVars' fields for error messages.
const stepVarNames = ".Commit, .BaseRef, .Branch, .Version, .AffectedPackages"

// Render expands the step's Run template with vars.
func (s Step) Render(vars StepVars) (string, error) {
	t, err := s.template()
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, vars); err != nil {
		return "", fmt.Errorf("render step %s: %w (known fields: %s)", s.Name, err, stepVarNames)
	}
	return b.String(), nil
}

// Cached reports whether the step's result may be taken from the cache (default true).
func (s Step) Cached() bool { return s.Cache == nil || *s.Cache }

func (s Step) template() (*template.Template, error) {
	t, err := template.New(s.Name).Option("missingkey=error").Parse(s.Run)
	if err != nil {
		return nil, fmt.Errorf("parse step %s: %w", s.Name, err)
	}
	return t, nil
}

// checkRun parses the Run template and renders it once with sample values, so that a
// misspelt field is caught when the file is validated rather than when the step runs.
func (s Step) checkRun() error {
	t, err := template.New("run").Option("missingkey=error").Parse(s.Run)
	if err != nil {
		return fmt.Errorf("run is not a valid template: %s", strings.TrimPrefix(err.Error(), "template: "))
	}
	sample := StepVars{
		Commit: "0123456789abcdef0123456789abcdef01234567", BaseRef: "main", Branch: "main",
		Version: "1.0.0", AffectedPackages: Packages{"./..."},
	}
	if err := t.Execute(discard{}, sample); err != nil {
		return fmt.Errorf("run template: %s; the fields are %s", strings.TrimPrefix(err.Error(), "template: "), stepVarNames)
	}
	return nil
}

// discard is an io.Writer that keeps nothing.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
