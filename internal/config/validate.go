package config

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/slipway/slipway/internal/artifact/registry"
)

var (
	namePattern   = regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	stepPattern   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)
	envVarPattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Valid values of the enumerated fields.
var (
	pipelineKinds = []string{"branch", "pr", "main", "hotfix"}
	promotions    = []string{"auto", "manual"}
	onNoData      = []string{"pause", "rollback"}
	httpMethods   = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
	// providers are the metric providers analysis can read. An unknown one is an
	// error naming these, never a fallback.
	providers = []string{"router", "prometheus"}
)

const maxReplicas = 10

// problems collects what Validate finds.
type problems []Problem

func (ps *problems) add(field, format string, args ...any) {
	*ps = append(*ps, Problem{Field: field, Msg: fmt.Sprintf(format, args...)})
}

// Validate checks the whole configuration and reports every problem at once as an
// [*Error]. Problems name their field; [Parse] adds the file, line and column.
// Validate expects defaults to be set, as Parse does.
func (c *Config) Validate() error {
	var ps problems
	switch {
	case c.Service == "":
		ps.add("service", "service is required: name the service, e.g. contract-api")
	case !namePattern.MatchString(c.Service) || len(c.Service) > 63:
		ps.add("service", "service name %q must be lower-case letters, digits and single dashes, start with a letter and be at most 63 characters", c.Service)
	}
	c.Build.validate(&ps)
	c.validatePipelines(&ps)
	c.validateEnvironments(&ps)
	c.validateSLOs(&ps)
	c.Telemetry.validate(&ps)
	c.Notify.validate(&ps)
	if c.Registry != "" {
		if _, err := registry.ParseRepository(c.Registry); err != nil {
			ps.add("registry", "%v", err)
		}
	}
	if len(ps) == 0 {
		return nil
	}
	return &Error{Problems: ps}
}

func (b Build) validate(ps *problems) {
	run, binary := strings.TrimSpace(b.Run) != "", b.Binary != ""
	switch {
	case b.Main == "" && !run && !binary:
		ps.add("build.main", "build.main is required: the Go main package to build, e.g. ./cmd/contract-api (for another language give build.run and build.binary instead)")
	case b.Main != "" && (run || binary):
		for _, f := range []struct {
			name string
			set  bool
		}{{"build.run", run}, {"build.binary", binary}} {
			if f.set {
				ps.add(f.name, "%s and build.main are exclusive: give build.main for a Go service, or build.run and build.binary for any other, not both", f.name)
			}
		}
	case strings.Contains(b.Main, "..."):
		ps.add("build.main", "build.main %q is a pattern: name the one main package to build", b.Main)
	case b.Main == "" && !run:
		ps.add("build.run", "build.binary needs build.run: the shell command that builds %s, e.g. make dist", b.Binary)
	case b.Main == "" && !binary:
		ps.add("build.binary", "build.run needs build.binary: the executable the command produces, relative to the repository, e.g. target/release/app")
	}
	if binary {
		if msg := binaryProblem(b.Binary); msg != "" {
			ps.add("build.binary", "%s", msg)
		}
	}
	if !strings.HasPrefix(b.Health, "/") {
		ps.add("build.health", "health path %q must start with /, e.g. /healthz", b.Health)
	}
	if !envVarPattern.MatchString(b.PortEnv) {
		ps.add("build.port-env", "port-env %q is not an environment variable name", b.PortEnv)
	}
}

// binaryProblem says what is wrong with a build.binary path, or "".
func binaryProblem(p string) string {
	switch {
	case path.IsAbs(p) || filepath.IsAbs(p):
		return fmt.Sprintf("binary %q must be relative to the repository, e.g. out/app", p)
	case strings.HasPrefix(p, "-"):
		return fmt.Sprintf("binary %q must be a path, not a flag", p)
	case p == "." || path.Clean(p) == ".." || strings.HasPrefix(path.Clean(p), "../"):
		return fmt.Sprintf("binary %q must name a file inside the repository, e.g. out/app", p)
	case strings.HasSuffix(p, "/"):
		return fmt.Sprintf("binary %q names a directory: name the executable file, e.g. out/app", p)
	}
	return ""
}

func (c *Config) validatePipelines(ps *problems) {
	if _, ok := c.Pipelines["main"]; !ok {
		ps.add("pipelines", "a main pipeline is required: it builds and tests the artifact")
	}
	kinds := make([]string, 0, len(c.Pipelines))
	for kind := range c.Pipelines {
		kinds = append(kinds, kind)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		field := "pipelines." + kind
		if !slices.Contains(pipelineKinds, kind) {
			ps.add(field, "unknown pipeline kind %q: valid kinds are %s", kind, strings.Join(pipelineKinds, ", "))
			continue
		}
		c.Pipelines[kind].validate(field, ps)
	}
}

func (p Pipeline) validate(field string, ps *problems) {
	if len(p.Steps) == 0 {
		ps.add(field+".steps", "the pipeline has no steps: add at least one")
		return
	}
	index := map[string]int{}
	for i, s := range p.Steps {
		f := fmt.Sprintf("%s.steps[%d]", field, i)
		switch {
		case s.Name == "":
			ps.add(f, "step name is required")
		case !stepPattern.MatchString(s.Name):
			ps.add(f+".name", "step name %q may hold only letters, digits, dots, dashes and underscores", s.Name)
		default:
			if first, dup := index[s.Name]; dup {
				ps.add(f+".name", "step name %q is already used by steps[%d]: names must be unique", s.Name, first)
			} else {
				index[s.Name] = i
			}
		}
		if strings.TrimSpace(s.Run) == "" {
			ps.add(f, "step %q has no run command", s.Name)
		} else if err := s.checkRun(); err != nil {
			ps.add(f+".run", "%v", err)
		}
		if s.Timeout <= 0 {
			ps.add(f+".timeout", "timeout must be more than zero")
		}
		for k := range s.Env {
			if !envVarPattern.MatchString(k) {
				ps.add(f+".env."+k, "%q is not an environment variable name", k)
			}
		}
		for j, in := range s.Inputs {
			if strings.TrimSpace(in) == "" {
				ps.add(fmt.Sprintf("%s.inputs[%d]", f, j), "input glob is empty")
			}
		}
	}
	for i, s := range p.Steps {
		for j, need := range s.Needs {
			nf := fmt.Sprintf("%s.steps[%d].needs[%d]", field, i, j)
			switch _, ok := index[need]; {
			case need == s.Name:
				ps.add(nf, "step %q needs itself", s.Name)
			case !ok:
				ps.add(nf, "step %q needs %q, which is not a step of this pipeline", s.Name, need)
			}
		}
	}
	for _, cycle := range cycles(p.Steps, index) {
		ps.add(fmt.Sprintf("%s.steps[%d].needs", field, index[cycle[0]]),
			"steps need each other in a cycle (%s): remove one of these needs", strings.Join(cycle, " -> "))
	}
}

// cycles returns each cycle of needs once, as step names starting and ending with the
// same step. Self-needs and unknown needs are reported elsewhere and skipped here.
func cycles(steps []Step, index map[string]int) [][]string {
	const (
		unseen = iota
		active
		done
	)
	state := make([]int, len(steps))
	var stack []string
	var out [][]string
	var visit func(i int)
	visit = func(i int) {
		state[i] = active
		stack = append(stack, steps[i].Name)
		for _, need := range steps[i].Needs {
			j, ok := index[need]
			if !ok || j == i {
				continue
			}
			switch state[j] {
			case unseen:
				visit(j)
			case active:
				start := slices.Index(stack, need)
				cycle := append(slices.Clone(stack[start:]), need)
				out = append(out, cycle)
			}
		}
		stack = stack[:len(stack)-1]
		state[i] = done
	}
	for i := range steps {
		if state[i] == unseen && index[steps[i].Name] == i {
			visit(i)
		}
	}
	return out
}
