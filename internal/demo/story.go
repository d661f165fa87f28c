package demo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/delivery"
	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/pipeline"
	"github.com/slipway/slipway/internal/vcs"
)

// Story chapters the example carries in its _story directory.
const (
	featBranch = "feat/contract-rule-validation"
	fixBranch  = "fix/contract-rule-null-case"
	featDir    = "01-feat-contract-rule-validation"
	fixDir     = "02-fix-contract-rule-null-case"
	baseTag    = "v1.11.3"
)

// Run plays the story and returns its summary. The last line it prints is the
// one-line outcome scripts can check.
func Run(ctx context.Context, o Options) (*Summary, error) {
	e, err := prepare(ctx, o)
	if err != nil {
		return nil, err
	}
	defer e.close()
	s := &Summary{Data: o.Data}
	err = e.play(ctx, s)
	s.Elapsed = time.Since(e.start)
	if err != nil {
		return s, err
	}
	e.printSummary(s)
	return s, nil
}

func (e *env) chapter(when, title string) {
	fmt.Fprintf(e.out, "\n== %s - %s  [+%s]\n", when, title, time.Since(e.start).Round(time.Second))
}

func (e *env) play(ctx context.Context, s *Summary) error {
	e.chapter("Monday 09:00", "contract-api "+baseTag+" runs in dev, staging and prod")
	repo, err := e.createRepo(ctx)
	if err != nil {
		return err
	}
	e.engine.Repo = repo
	stable, err := e.ship(ctx, s, "main")
	if err != nil {
		return err
	}
	if err := e.engine.Promote(ctx, &stable, "prod"); err != nil {
		return err
	}
	s.add(stable)
	envs := e.plane.Config.Environments
	prodEnv := envs[len(envs)-1].Name
	e.startUsers(prodEnv)
	fmt.Fprintf(e.out, "users: %d req/s to %s through the router at %s, %.1f%% legacy contracts\n",
		e.opts.Rate, prodEnv, e.planes[prodEnv].URL(), e.opts.LegacyShare*100)

	e.chapter("Monday 09:26", "branch pipeline for "+featBranch)
	if err := e.commitChapter(ctx, featBranch, featDir); err != nil {
		return err
	}
	if err := e.pipeline(ctx, featBranch); err != nil {
		return err
	}
	fmt.Fprintln(e.out, "pushing the same commit again:")
	again, err := e.engine.Push(ctx, featBranch)
	if err != nil {
		return err
	}
	s.CachedSteps = cachedSteps(again)

	e.chapter("Monday 11:16", "merged to main: an immutable artifact is born")
	d, err := e.mergeAndShip(ctx, s, featBranch)
	if err != nil {
		return err
	}

	e.chapter("Tuesday 10:00", "production rollout of "+d.Release.Version+": a single click")
	before := e.traffic.Stats()
	if err := e.engine.Promote(ctx, &d, prodEnv); err != nil {
		return err
	}
	s.add(d)
	if d.Incident == nil {
		s.Outcome = fmt.Sprintf("story: %s -> v%s promoted | no incident", baseTag, d.Release.Version)
		return nil
	}
	after := e.traffic.Stats()
	s.measureRollback(ctx, e, before, after, d)

	e.chapter("Tuesday 10:09", "the system noticed before a human: rolled back, incident "+d.Incident.ID)
	fmt.Fprintf(e.out, "incident %s %s: %s, affected %s, stable %s, rollback executed: %v\n",
		d.Incident.ID, d.Incident.Status, d.Incident.Title, d.Incident.AffectedVersion, d.Incident.StableVersion, d.Incident.RollbackExecuted)
	fmt.Fprintf(e.out, "users saw %d failed requests in all; the first at +%s, traffic back on %s %.1fs later\n",
		s.UserFailures, s.FirstFailureAt.Sub(e.start).Round(time.Second), d.Incident.StableVersion, s.DetectSeconds)

	e.chapter("Tuesday 10:35", "the fix takes the hotfix path: "+fixBranch)
	if err := e.commitChapter(ctx, fixBranch, fixDir); err != nil {
		return err
	}
	if err := e.pipeline(ctx, fixBranch); err != nil {
		return err
	}
	e.chapter("Tuesday 11:30", "merged: a new artifact")
	fix, err := e.mergeAndShip(ctx, s, fixBranch)
	if err != nil {
		return err
	}
	e.chapter("Tuesday 11:40", "production again, with extra caution ("+fix.Release.Version+", hotfix profile)")
	if err := e.engine.Promote(ctx, &fix, prodEnv); err != nil {
		return err
	}
	s.add(fix)
	if fix.Incident != nil {
		return fmt.Errorf("the fix %s was rolled back too (incident %s): %s", fix.Release.Version, fix.Incident.ID, fix.Stages[len(fix.Stages)-1].Reason)
	}

	e.chapter("Tuesday 12:10", "post-mortem draft from the journal")
	path, err := e.postMortem(ctx, d)
	if err != nil {
		return err
	}
	s.PostMortem, s.Incident = path, d.Incident.ID
	s.Outcome = fmt.Sprintf("story: %s -> v%s rolled back -> v%s promoted | incident %s | post-mortem %s",
		baseTag, d.Release.Version, fix.Release.Version, d.Incident.ID, path)
	return nil
}

// ship releases the head of branch and delivers it up to the first manual promotion.
func (e *env) ship(ctx context.Context, s *Summary, branch string) (delivery.Delivery, error) {
	rel, err := e.engine.Release(ctx, branch)
	if err != nil {
		return delivery.Delivery{}, err
	}
	s.ReleaseNotes = append(s.ReleaseNotes, rel.Notes)
	s.SBOMs = append(s.SBOMs, rel.Artifact.SBOM)
	d, err := e.engine.Deliver(ctx, rel)
	if err != nil {
		return d, err
	}
	for _, st := range d.Stages {
		if st.Outcome != deploy.Deployed {
			return d, fmt.Errorf("%s in %s: %s (%s)", rel.Version, st.Env, st.Outcome, st.Reason)
		}
	}
	return d, nil
}

// mergeAndShip merges branch into main, runs the main pipeline and ships the release.
func (e *env) mergeAndShip(ctx context.Context, s *Summary, branch string) (delivery.Delivery, error) {
	repo := e.engine.Repo
	if err := repo.Checkout(ctx, "main"); err != nil {
		return delivery.Delivery{}, err
	}
	if _, err := repo.Merge(ctx, branch, fmt.Sprintf("Merge branch '%s'", branch)); err != nil {
		return delivery.Delivery{}, err
	}
	if err := e.pipeline(ctx, "main"); err != nil {
		return delivery.Delivery{}, err
	}
	return e.ship(ctx, s, "main")
}

// pipeline runs the branch's pipeline and fails the story when it is red.
func (e *env) pipeline(ctx context.Context, branch string) error {
	res, err := e.engine.Push(ctx, branch)
	if err != nil {
		return err
	}
	if !res.Passed {
		return fmt.Errorf("pipeline %s for %s failed: see the logs above", res.Run, branch)
	}
	return nil
}

// createRepo makes the contract-api repository at v1.11.3 from the example.
func (e *env) createRepo(ctx context.Context) (*vcs.Repo, error) {
	dir := filepath.Join(e.opts.Data, "repos", "contract-api")
	if err := copyTree(e.opts.Example, dir, func(rel string) bool { return rel == "_story" }); err != nil {
		return nil, err
	}
	repo, err := vcs.Init(ctx, dir)
	if err != nil {
		return nil, err
	}
	if _, err := repo.CommitAll(ctx, "feat: contract-api 1.11 with contract validation rules", time.Time{}); err != nil {
		return nil, err
	}
	if err := repo.Tag(ctx, baseTag, "HEAD"); err != nil {
		return nil, err
	}
	fmt.Fprintf(e.out, "git repository %s, tagged %s\n", dir, baseTag)
	return repo, nil
}

// commitChapter branches from main, writes a chapter's files and commits them with
// the chapter's message.
func (e *env) commitChapter(ctx context.Context, branch, chapter string) error {
	repo := e.engine.Repo
	if err := repo.Checkout(ctx, "main"); err != nil {
		return err
	}
	if err := repo.Branch(ctx, branch, "main"); err != nil {
		return err
	}
	if err := repo.Checkout(ctx, branch); err != nil {
		return err
	}
	src := filepath.Join(e.opts.Example, "_story", chapter)
	msg, err := os.ReadFile(filepath.Join(src, "COMMIT_MSG"))
	if err != nil {
		return fmt.Errorf("story chapter %s: %w", chapter, err)
	}
	if err := copyTree(src, repo.Dir, func(rel string) bool { return rel == "COMMIT_MSG" }); err != nil {
		return err
	}
	hash, err := repo.CommitAll(ctx, string(msg), time.Time{})
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "git checkout -b %s; git commit -m %q -> %s\n", branch, firstLine(string(msg)), hash[:7])
	return nil
}

// postMortem renders the incident's post-mortem with the commits of the bad release.
func (e *env) postMortem(ctx context.Context, d delivery.Delivery) (string, error) {
	var commits []incident.Commit
	for _, c := range d.Release.Commits {
		commits = append(commits, incident.Commit{Hash: c.Hash, Subject: c.Subject, Author: c.Author, Time: c.Time})
	}
	md, err := e.plane.Incidents.PostMortem(ctx, d.Incident.ID, commits)
	if err != nil {
		return "", err
	}
	path := filepath.Join(e.opts.Data, "postmortems", d.Incident.ID+".md")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, md, 0o644); err != nil {
		return "", err
	}
	fmt.Fprintf(e.out, "post-mortem draft: %s (%d lines)\n", path, strings.Count(string(md), "\n"))
	return path, nil
}

// copyTree copies src into dst, skipping top-level entries skip reports.
func copyTree(src, dst string, skip func(rel string) bool) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel != "." && skip(strings.Split(rel, string(filepath.Separator))[0]) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return errors.New("copy " + p + ": not a regular file")
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

func cachedSteps(r pipeline.Result) int {
	n := 0
	for _, st := range r.Steps {
		if st.Cached {
			n++
		}
	}
	return n
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
