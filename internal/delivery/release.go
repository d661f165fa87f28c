package delivery

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/slipway/slipway/internal/artifact"
	"github.com/slipway/slipway/internal/artifact/registry"
	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/release"
	"github.com/slipway/slipway/internal/store"
	"github.com/slipway/slipway/internal/vcs"
)

// Release is a version of the service: a tag, its commits, its one artifact.
type Release struct {
	Version  string            `json:"version"`
	Tag      string            `json:"tag"`
	Commit   string            `json:"commit"`
	Previous string            `json:"previous,omitempty"` // the tag it follows
	Bump     string            `json:"bump"`
	Hotfix   bool              `json:"hotfix"` // a fixes-only release: rolled out with the hotfix profile
	Commits  []vcs.Commit      `json:"commits"`
	Notes    string            `json:"notes"` // path of the release notes
	Artifact artifact.Artifact `json:"artifact"`
	Created  time.Time         `json:"created"`
	// Pushed says where the artifact is in the registry slipway.yaml names, by
	// digest; nil when it names none.
	Pushed *registry.Pushed `json:"registry,omitempty"`
	// Config is the slipway.yaml of the released commit: a release ships with the
	// configuration it was built with.
	Config *config.Config `json:"config,omitempty"`
}

// Release versions the head of branch from the Conventional Commits since the last
// v* tag (a release/* branch makes release candidates, see [release.NextFor]),
// builds the one artifact, pushes it to the registry slipway.yaml names (if any),
// writes release notes, and tags the commit. A head
// that already carries a version tag is released as that version (how an existing
// service is adopted). The main pipeline must have passed first.
func (e *Engine) Release(ctx context.Context, branch string) (Release, error) {
	head, err := e.Repo.ResolveRef(ctx, branch)
	if err != nil {
		return Release{}, fmt.Errorf("release %s: %w", branch, err)
	}
	return e.ReleaseCommit(ctx, branch, head)
}

// ReleaseCommit is Release for commit head, the head of branch.
func (e *Engine) ReleaseCommit(ctx context.Context, branch, head string) (Release, error) {
	if err := e.requireGreen(ctx, head); err != nil {
		return Release{}, err
	}
	var err error
	rel := Release{Commit: head, Created: time.Now().UTC(), Config: e.Config}
	prevTag, _ := e.Repo.LatestTag(ctx, head, e.tagGlob())
	if prevTag != "" {
		if at, _ := e.Repo.ResolveRef(ctx, prevTag); at == head {
			rel.Tag, rel.Version, rel.Bump = prevTag, strings.TrimPrefix(prevTag, e.tagPrefix()), "existing"
		}
	}
	if rel.Tag == "" {
		commits, err := e.Repo.Log(ctx, prevTag, head, e.paths()...)
		if err != nil {
			return Release{}, fmt.Errorf("release %s: %w", branch, err)
		}
		current := semver.MustParse("0.0.0")
		if prevTag != "" {
			if current, err = semver.NewVersion(strings.TrimPrefix(prevTag, e.tagPrefix())); err != nil {
				return Release{}, fmt.Errorf("release %s: last tag %s is not a semantic version: %w", branch, prevTag, err)
			}
		}
		next, bump := release.NextFor(branch, current, release.FromGit(commits))
		if bump == release.None {
			return Release{}, fmt.Errorf("release %s: %d commits since %s, none a feat, fix, perf or breaking change: %w", branch, len(commits), prevTag, ErrNothingToRelease)
		}
		rel.Version, rel.Tag, rel.Previous, rel.Bump, rel.Commits = next.String(), e.tagPrefix()+next.String(), prevTag, bump.String(), commits
		rel.Hotfix = bump == release.Patch && release.HotfixPath(ctx, e.Repo.Dir, prevTag, head)
	}
	commitTime := rel.Created
	if log, err := e.Repo.Log(ctx, "", head); err == nil && len(log) > 0 {
		commitTime = log[len(log)-1].Time
	}
	if len(rel.Commits) > 0 {
		commitTime = rel.Commits[len(rel.Commits)-1].Time
	}
	if rel.Bump == "existing" {
		e.printf("release %s: version %s (already tagged %s)", e.Config.Service, rel.Version, rel.Tag)
	} else {
		e.printf("release %s: version %s (%s bump from %s, %d commits)", e.Config.Service, rel.Version, rel.Bump, orNone(rel.Previous), len(rel.Commits))
	}

	dir, err := e.checkout(ctx, head)
	if err != nil {
		return Release{}, err
	}
	dir = e.serviceDir(dir)
	rel.Artifact, err = e.Artifacts.Build(ctx, artifact.BuildInput{Service: e.Config.Service, Version: rel.Version, Commit: head,
		SourceDir: dir, Main: e.Config.Build.Main, Run: e.Config.Build.Run, Binary: e.Config.Build.Binary, Created: commitTime, Log: indent(e.Out)})
	if err != nil {
		return Release{}, fmt.Errorf("release %s: %w", rel.Version, err)
	}
	if err := e.push(ctx, &rel); err != nil {
		return Release{}, err
	}
	if err := e.writeNotes(ctx, &rel, commitTime); err != nil {
		return Release{}, err
	}
	if rel.Bump != "existing" {
		if err := e.Repo.Tag(ctx, rel.Tag, head); err != nil {
			return Release{}, fmt.Errorf("release %s: %w", rel.Version, err)
		}
	}
	if err := e.Store.Put(ctx, "release", e.Config.Service+"/"+rel.Version, rel); err != nil {
		return Release{}, err
	}
	subjects := make([]string, 0, len(rel.Commits))
	for _, c := range rel.Commits {
		subjects = append(subjects, c.Short()+" "+c.Subject)
	}
	_, _ = e.Store.Append(ctx, store.Event{Kind: "release.created", Service: e.Config.Service, Version: rel.Version, Digest: rel.Artifact.Digest,
		Message: fmt.Sprintf("%s %s: %s, signed, SBOM %d components, %d vulnerabilities", e.Config.Service, rel.Version,
			rel.Artifact.Ref, rel.Artifact.Components, rel.Artifact.Vulnerabilities),
		Data: map[string]any{"tag": rel.Tag, "commit": head, "previous": rel.Previous, "bump": rel.Bump, "hotfix": rel.Hotfix,
			"commits": subjects, "notes": rel.Notes, "sbom": rel.Artifact.SBOM, "scan": rel.Artifact.Scan, "signature": rel.Artifact.Signature}})
	return rel, nil
}

func orNone(s string) string {
	if s == "" {
		return "nothing"
	}
	return s
}
