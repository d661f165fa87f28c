// Package pipeline plans a service's steps as a DAG and runs them: steps whose needs
// have passed run concurrently, a failed step skips its dependants, and a passed
// step's result is cached by the hash of its command, environment and input files,
// so running the same inputs again costs nothing.
//
// Where a step runs is an Executor (executor/local runs processes); what happened is
// written to a Journal and, as human progress lines, to an io.Writer.
package pipeline

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/slipway/slipway/internal/config"
)

// Graph is a planned pipeline: its steps in an order where every step comes after the
// steps it needs.
type Graph struct {
	steps      []config.Step // topological order
	index      map[string]int
	dependants map[string][]string
}

// Plan checks the steps of p and orders them. Every problem is reported at once:
// steps without a name or command, duplicate names, needs naming no step, and cycles
// (with the steps that form them).
func Plan(p config.Pipeline) (*Graph, error) {
	var errs []error
	byName := map[string]config.Step{}
	var names []string
	for i, s := range p.Steps {
		switch {
		case strings.TrimSpace(s.Name) == "":
			errs = append(errs, fmt.Errorf("step %d has no name: give it a unique name", i+1))
			continue
		case byName[s.Name].Name != "":
			errs = append(errs, fmt.Errorf("step %q is defined twice: step names must be unique", s.Name))
			continue
		}
		if strings.TrimSpace(s.Run) == "" {
			errs = append(errs, fmt.Errorf("step %q has no run command", s.Name))
		}
		byName[s.Name] = s
		names = append(names, s.Name)
	}
	for _, s := range p.Steps {
		for _, n := range s.Needs {
			switch {
			case n == s.Name:
				errs = append(errs, fmt.Errorf("step %q needs itself", s.Name))
			case byName[n].Name == "":
				errs = append(errs, fmt.Errorf("step %q needs %q, which is not a step of this pipeline (steps: %s)", s.Name, n, strings.Join(names, ", ")))
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("plan pipeline: %w", errors.Join(errs...))
	}

	g := &Graph{index: map[string]int{}, dependants: map[string][]string{}}
	const (
		unvisited = iota
		visiting
		done
	)
	state := map[string]int{}
	var stack []string
	var cycles []string
	var visit func(name string)
	visit = func(name string) {
		switch state[name] {
		case done:
			return
		case visiting:
			i := slices.Index(stack, name)
			cycles = append(cycles, strings.Join(append(slices.Clone(stack[i:]), name), " -> "))
			return
		}
		state[name] = visiting
		stack = append(stack, name)
		for _, n := range byName[name].Needs {
			visit(n)
		}
		stack = stack[:len(stack)-1]
		state[name] = done
		g.index[name] = len(g.steps)
		g.steps = append(g.steps, byName[name])
	}
	for _, n := range names {
		visit(n)
	}
	if len(cycles) > 0 {
		return nil, fmt.Errorf("plan pipeline: steps form a cycle: %s: remove one of these needs", strings.Join(cycles, "; "))
	}
	for _, s := range g.steps {
		for _, n := range uniq(s.Needs) {
			g.dependants[n] = append(g.dependants[n], s.Name)
		}
	}
	return g, nil
}

func uniq(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// Steps returns the steps in execution order: each after all the steps it needs.
func (g *Graph) Steps() []config.Step { return slices.Clone(g.steps) }

// Len returns the number of steps.
func (g *Graph) Len() int { return len(g.steps) }

// Dependants returns the steps that directly need name.
func (g *Graph) Dependants(name string) []string { return slices.Clone(g.dependants[name]) }
