package pipeline

import (
	"fmt"
	"strings"
	"text/template"
)

// Vars is the data a step's run command is rendered with, as a Go text/template:
// {{.Commit}}, {{.BaseRef}}, {{.Branch}}, {{.Version}}, {{.AffectedPackages}}.
type Vars struct {
	// Commit is the full hash of the commit under test.
	Commit string
	// BaseRef is what the change is compared with: the target branch of a PR, or the
	// latest release tag (e.g. v1.11.3) for breaking-change checks.
	BaseRef string
	// Branch is the branch the commit is on.
	Branch string
	// Version is the version being released, on main; empty elsewhere.
	Version string
	// AffectedPackages lists, space-separated, the Go packages a change touches
	// (see AffectedPackages); "./..." when everything is.
	AffectedPackages string
}

// render expands the step's command template. Errors name the step and the problem.
func render(step, command string, v Vars) (string, error) {
	tmpl, err := template.New(step).Option("missingkey=error").Parse(command)
	if err != nil {
		return "", fmt.Errorf("step %q: run command template: %w", step, err)
	}
	var b strings.Builder
	if err := tmpl.Execute(&b, v); err != nil {
		return "", fmt.Errorf("step %q: run command template: %w (known fields: .Commit, .BaseRef, .Branch, .Version, .AffectedPackages)", step, err)
	}
	return b.String(), nil
}
