package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/slipway/slipway/internal/delivery"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/rollout"
	"github.com/slipway/slipway/internal/store"
	"github.com/spf13/cobra"
)

// Shell completion reads the state directory the command line names (--data,
// $SLIPWAY_DATA, .slipway) and offers what is in it. Each func has the
// cobra.CompletionFunc signature, for ValidArgsFunction or
// RegisterFlagCompletionFunc; with no state it offers nothing, never files.
// A --service already on the command line narrows what is offered.

const noFiles = cobra.ShellCompDirectiveNoFileComp

// completeServices offers the services in the state.
func completeServices(cmd *cobra.Command, _ []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	var out []cobra.Completion
	withCompletionState(cmd, func(ctx context.Context, st *store.Store) {
		c := statusCollector{byName: map[string]*serviceState{}}
		if c.read(ctx, st) != nil {
			return
		}
		for _, name := range c.order {
			out = append(out, cobra.CompletionWithDesc(name, fmt.Sprintf("%d environments", len(c.byName[name].envNames()))))
		}
	})
	return out, noFiles
}

// completeEnvs offers environments from the services' configs (and any other a
// deployment names), with what runs there. For --env flags and a first ENV
// argument (`undo ENV`).
func completeEnvs(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, noFiles // an ENV argument comes first
	}
	return envCompletions(cmd), noFiles
}

// completeVersions offers release versions, oldest first. For --version flags
// and a first VERSION argument.
func completeVersions(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, noFiles
	}
	return versionCompletions(cmd), noFiles
}

// completeVersionThenEnv completes `promote VERSION ENV`: a release version
// first, then an environment.
func completeVersionThenEnv(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	switch len(args) {
	case 0:
		return versionCompletions(cmd), noFiles
	case 1:
		return envCompletions(cmd), noFiles
	}
	return nil, noFiles
}

// completeRollouts offers every rollout id, for `rollout status ID`.
func completeRollouts(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, noFiles
	}
	return rolloutCompletions(cmd, false), noFiles
}

// completeActiveRollouts offers the rollouts that have not ended, for the
// commands that steer one (pause, resume, promote, abort).
func completeActiveRollouts(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, noFiles
	}
	return rolloutCompletions(cmd, true), noFiles
}

// completeIncidents offers incident ids with their status and title.
func completeIncidents(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, noFiles
	}
	var out []cobra.Completion
	withCompletionState(cmd, func(ctx context.Context, st *store.Store) {
		incs, err := (&incident.Manager{Store: st}).List(ctx)
		if err != nil {
			return
		}
		service := completionService(cmd)
		for _, in := range incs {
			if service == "" || in.Service == service {
				out = append(out, cobra.CompletionWithDesc(in.ID, fmt.Sprintf("%s %s in %s: %s", in.Status, in.Service, in.Env, in.Title)))
			}
		}
	})
	return out, noFiles
}

// completeRuns offers pipeline run ids, newest first.
func completeRuns(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, noFiles
	}
	var out []cobra.Completion
	withCompletionState(cmd, func(ctx context.Context, st *store.Store) {
		runs, err := listRuns(ctx, st, runFilter{Service: completionService(cmd), Limit: 50})
		if err != nil {
			return
		}
		for _, r := range runs {
			out = append(out, cobra.CompletionWithDesc(r.ID, fmt.Sprintf("%s %s %s %s", r.Service, r.Kind, r.Branch, r.Status)))
		}
	})
	return out, noFiles | cobra.ShellCompDirectiveKeepOrder
}

func envCompletions(cmd *cobra.Command) []cobra.Completion {
	var out []cobra.Completion
	withCompletionState(cmd, func(ctx context.Context, st *store.Store) {
		c := statusCollector{byName: map[string]*serviceState{}}
		if c.read(ctx, st) != nil {
			return
		}
		service := completionService(cmd)
		seen := map[string]bool{}
		for _, name := range c.order {
			if service != "" && name != service {
				continue
			}
			s := c.byName[name]
			for _, env := range s.envNames() {
				if seen[env] {
					continue
				}
				seen[env] = true
				desc := name + ": nothing deployed"
				if i := slices.IndexFunc(s.deps, func(d deploymentRecord) bool { return d.Env == env }); i >= 0 {
					desc = name + " runs " + s.deps[i].Version
				}
				out = append(out, cobra.CompletionWithDesc(env, desc))
			}
		}
	})
	return out
}

func versionCompletions(cmd *cobra.Command) []cobra.Completion {
	var out []cobra.Completion
	withCompletionState(cmd, func(ctx context.Context, st *store.Store) {
		service := completionService(cmd)
		listRecords(ctx, st, "release", func(id string, r delivery.Release) {
			if service == "" || recordService(id) == service {
				desc := recordService(id) + " release"
				if r.Hotfix {
					desc += " (hotfix)"
				}
				out = append(out, cobra.CompletionWithDesc(r.Version, desc))
			}
		})
	})
	return out
}

func rolloutCompletions(cmd *cobra.Command, active bool) []cobra.Completion {
	var out []cobra.Completion
	withCompletionState(cmd, func(ctx context.Context, st *store.Store) {
		service := completionService(cmd)
		listRecords(ctx, st, "rollout", func(_ string, r rollout.Rollout) {
			if active && r.Phase.Terminal() || service != "" && r.Service != service {
				return
			}
			out = append(out, cobra.CompletionWithDesc(r.ID, fmt.Sprintf("%s %s %s -> %s %s", r.Service, r.Env, r.Stable.Version, r.Candidate.Version, r.Phase)))
		})
	})
	return out
}

// withCompletionState runs fn on the store when the state directory has one.
func withCompletionState(cmd *cobra.Command, fn func(ctx context.Context, st *store.Store)) {
	st, err := openState(cmd)
	if err != nil {
		return
	}
	defer st.Close()
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	fn(ctx, st)
}

// completionService is the --service already given, if the command has one.
func completionService(cmd *cobra.Command) string {
	if f := cmd.Flags().Lookup("service"); f != nil {
		return strings.TrimSpace(f.Value.String())
	}
	return ""
}
