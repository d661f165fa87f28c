package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/artifact"
	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/pipeline"
	"github.com/slipway/slipway/internal/store"
	"github.com/slipway/slipway/internal/vcs"
)

// journal is the part of the store the engine needs.
type journal interface {
	Append(ctx context.Context, e store.Event) (store.Event, error)
	Put(ctx context.Context, kind, id string, v any) error
	Get(ctx context.Context, kind, id string, v any) error
}

// builder makes artifacts.
type builder interface {
	Build(ctx context.Context, in artifact.BuildInput) (artifact.Artifact, error)
}

// incidents opens the incident of a rolled back rollout.
type incidents interface {
	OpenForRollout(ctx context.Context, rolloutID string) (incident.Incident, error)
}

// Engine runs one service's delivery.
type Engine struct {
	Repo      *vcs.Repo
	Config    *config.Config
	Store     journal
	Pipelines *pipeline.Runner
	Artifacts builder
	Deployer  *deploy.Deployer
	Incidents incidents
	// Dir keeps checkouts and release notes.
	Dir string
	// StepEnv is added to every pipeline step's environment (e.g. PATH with slipway).
	StepEnv []string
	// Out receives human progress lines; may be nil.
	Out io.Writer
	// Subdir is the service's directory inside the repository ("" for the root);
	// its release tags are then "<subdir>/v1.2.3".
	Subdir string
	// Lock, when set, is held around every deploy to an environment so that one
	// environment never sees two deploys at once; it returns the unlock func.
	Lock func(env string) (unlock func())
}

func (e *Engine) printf(format string, args ...any) {
	if e.Out != nil {
		fmt.Fprintf(e.Out, format+"\n", args...)
	}
}

// Kind is the pipeline a branch runs: main for the main branch, hotfix for fix/* and
// hotfix/*, branch for everything else.
func Kind(branch string) string {
	switch {
	case branch == "main" || branch == "master":
		return "main"
	case strings.HasPrefix(branch, "fix/") || strings.HasPrefix(branch, "hotfix/"):
		return "hotfix"
	default:
		return "branch"
	}
}

// Push runs the pipeline for the head of branch, as a push webhook would.
func (e *Engine) Push(ctx context.Context, branch string) (pipeline.Result, error) {
	commit, err := e.Repo.ResolveRef(ctx, branch)
	if err != nil {
		return pipeline.Result{}, fmt.Errorf("push %s: %w", branch, err)
	}
	return e.PushCommit(ctx, branch, commit)
}

// PushCommit runs the pipeline branch calls for on commit: main for the main
// branch, hotfix for fix/* and hotfix/* (the branch pipeline when there is no hotfix
// pipeline), branch for everything else. Cancelling ctx stops the run.
func (e *Engine) PushCommit(ctx context.Context, branch, commit string) (pipeline.Result, error) {
	kind := Kind(branch)
	p, ok := e.Config.Pipelines[kind]
	if !ok && kind == "hotfix" {
		kind, p, ok = "branch", e.Config.Pipelines["branch"], e.Config.Pipelines["branch"].Steps != nil
	}
	if !ok {
		return pipeline.Result{}, fmt.Errorf("push %s: slipway.yaml has no %s pipeline", branch, kind)
	}
	dir, err := e.checkout(ctx, commit)
	if err != nil {
		return pipeline.Result{}, err
	}
	vars := pipeline.Vars{Commit: commit, Branch: branch}
	if tag, err := e.Repo.LatestTag(ctx, commit, e.tagGlob()); err == nil {
		vars.BaseRef = tag
	}
	if kind == "hotfix" {
		if vars.AffectedPackages, err = e.affected(ctx, dir, branch, commit); err != nil {
			return pipeline.Result{}, err
		}
	}
	res, err := e.Pipelines.Run(ctx, pipeline.Spec{Service: e.Config.Service, Kind: kind, Branch: branch, Commit: commit,
		Dir: e.serviceDir(dir), Pipeline: p, Vars: vars, Env: e.stepEnv()})
	if err == nil && res.Passed && kind == "main" {
		err = e.Store.Put(ctx, "green", e.Config.Service+"/"+commit, Green{Commit: commit, Run: res.Run, At: time.Now().UTC()})
	}
	return res, err
}

// Green records that the main pipeline passed on a commit: a release requires it.
type Green struct {
	Commit string    `json:"commit"`
	Run    string    `json:"run"`
	At     time.Time `json:"at"`
}

// requireGreen refuses to release a commit the main pipeline has not passed on.
func (e *Engine) requireGreen(ctx context.Context, commit string) error {
	var g Green
	err := e.Store.Get(ctx, "green", e.Config.Service+"/"+commit, &g)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("release %s @%s: the main pipeline has not passed on this commit; a release needs it green first (slipway run main)", e.Config.Service, commit[:min(12, len(commit))])
	}
	return err
}

// stepEnv is what every step gets besides its own env: StepEnv, and SLIPWAY_REPO
// naming the repository (so `slipway check api` finds the base ref from a checkout).
func (e *Engine) stepEnv() []string {
	env := append([]string{}, e.StepEnv...)
	if e.Repo != nil {
		env = append(env, "SLIPWAY_REPO="+e.Repo.Dir)
	}
	return env
}

// serviceDir is where the service lives inside a checkout of its repository.
func (e *Engine) serviceDir(checkout string) string {
	if e.Subdir == "" || e.Subdir == "." {
		return checkout
	}
	return filepath.Join(checkout, e.Subdir)
}

// paths limits history to the service's directory when it has one: only the
// commits that change it make its releases.
func (e *Engine) paths() []string {
	if e.Subdir == "" || e.Subdir == "." {
		return nil
	}
	return []string{filepath.ToSlash(e.Subdir)}
}

// tagGlob matches the service's release tags.
func (e *Engine) tagGlob() string { return e.tagPrefix() + "*" }

// tagPrefix starts every release tag of the service: "v", or "<subdir>/v" for a
// service living in a subdirectory of its repository.
func (e *Engine) tagPrefix() string {
	if e.Subdir == "" || e.Subdir == "." {
		return "v"
	}
	return filepath.ToSlash(e.Subdir) + "/v"
}

// affected lists the Go packages a branch's changes reach, for focused tests.
func (e *Engine) affected(ctx context.Context, dir, branch, commit string) (string, error) {
	base, err := e.Repo.LatestTag(ctx, commit, e.tagGlob())
	if err != nil {
		return "", fmt.Errorf("push %s: find the release it branches from: %w", branch, err)
	}
	changed, err := e.Repo.ChangedFiles(ctx, base, commit)
	if err != nil {
		return "", fmt.Errorf("push %s: %w", branch, err)
	}
	if e.Subdir != "" && e.Subdir != "." {
		prefix, inside := filepath.ToSlash(e.Subdir)+"/", changed[:0:0]
		for _, f := range changed {
			if rest, ok := strings.CutPrefix(f, prefix); ok {
				inside = append(inside, rest)
			}
		}
		changed, dir = inside, e.serviceDir(dir)
	}
	pkgs, err := pipeline.AffectedPackages(ctx, dir, changed)
	if err != nil {
		return "", fmt.Errorf("push %s: affected packages: %w", branch, err)
	}
	if len(pkgs) == 0 {
		return "./...", nil
	}
	e.printf("hotfix path: %d changed files reach %d packages: %s", len(changed), len(pkgs), strings.Join(pkgs, " "))
	_, _ = e.Store.Append(ctx, store.Event{Kind: "pipeline.focused", Service: e.Config.Service,
		Message: fmt.Sprintf("%s: focused tests on %d packages reached by %d changed files", branch, len(pkgs), len(changed)),
		Data:    map[string]any{"branch": branch, "changed": changed, "packages": pkgs}})
	return strings.Join(pkgs, " "), nil
}

// checkout materialises commit's tree under Dir/checkouts, once.
func (e *Engine) checkout(ctx context.Context, commit string) (string, error) {
	dir := filepath.Join(e.Dir, "checkouts", commit[:12])
	if _, err := os.Stat(filepath.Join(dir, ".slipway-complete")); err == nil {
		return dir, nil
	}
	os.RemoveAll(dir)
	if err := e.Repo.Export(ctx, commit, dir); err != nil {
		return "", fmt.Errorf("checkout %s: %w", commit[:12], err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".slipway-complete"), nil, 0o644); err != nil {
		return "", fmt.Errorf("checkout %s: %w", commit[:12], err)
	}
	return dir, nil
}

// ErrNothingToRelease means no releasable commit (feat, fix, perf, breaking) is new.
var ErrNothingToRelease = errors.New("nothing to release")
