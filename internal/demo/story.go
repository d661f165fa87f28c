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

	"github.com/slipway/slipway/internal/controlplane"
	"github.com/slipway/slipway/internal/delivery"
	"github.com/slipway/slipway/internal/deploy"
	"github.com/slipway/slipway/internal/store"
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

// The story's people, as git records them: the engineer writes the rule, its fix
// and merges both; the tech lead wrote the service as it stands on Monday.
const (
	engineer = "Ana Souza <ana@contract-api.example>"
	techLead = "Rui Costa <rui@contract-api.example>"
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
	e.chapter("Monday 09:00", e.cfg.Service+" "+baseTag+" runs in dev, staging and prod")
	repo, err := e.createRepo(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "$ slipway up   (in %s)\n", repo.Dir)
	if err := e.up(ctx); err != nil {
		return err
	}
	envs := e.cfg.Environments
	prodEnv := envs[len(envs)-1].Name
	head, err := repo.ResolveRef(ctx, "main")
	if err != nil {
		return err
	}
	stable, err := e.ship(ctx, s, head, prodEnv)
	if err != nil {
		return err
	}
	if stable.Outcome() != deploy.Deployed {
		return fmt.Errorf("%s in %s: %s", stable.Release.Version, prodEnv, stable.Outcome())
	}
	e.startUsers(e.url(prodEnv))
	fmt.Fprintf(e.out, "users: %d req/s to %s through the router at %s, %.1f%% legacy contracts\n",
		e.opts.Rate, prodEnv, e.url(prodEnv), e.opts.LegacyShare*100)

	e.chapter("Monday 09:26", "branch pipeline for "+featBranch)
	feat, err := e.commitChapter(ctx, repo, featBranch, featDir)
	if err != nil {
		return err
	}
	if _, err := e.waitRun(ctx, feat); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "$ slipway run %s   (the same commit again)\n", featBranch)
	again, err := e.request(ctx, controlplane.Request{Op: controlplane.OpRun, Service: e.cfg.Service, Ref: featBranch})
	if err != nil {
		return err
	}
	if !again.OK {
		return fmt.Errorf("re-run of %s: %s", featBranch, again.Error)
	}
	fmt.Fprintln(e.out, again.Outcome)
	if s.CachedSteps, err = e.cachedSteps(ctx, again.Run); err != nil {
		return err
	}

	e.chapter("Monday 11:16", "merged to main: an immutable artifact is born")
	merge, err := e.merge(ctx, repo, featBranch)
	if err != nil {
		return err
	}
	rel, err := e.waitRelease(ctx, merge)
	if err != nil {
		return err
	}
	s.noteRelease(rel)

	e.chapter("Tuesday 10:00", "production rollout of "+rel.Version+": a single click")
	before := e.traffic.Stats()
	d, err := e.promote(ctx, rel, prodEnv)
	if err != nil {
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
	if err := e.investigate(ctx, d.Incident); err != nil {
		return err
	}

	e.chapter("Tuesday 10:35", "the fix takes the hotfix path: "+fixBranch)
	fixCommit, err := e.commitChapter(ctx, repo, fixBranch, fixDir)
	if err != nil {
		return err
	}
	if _, err := e.waitRun(ctx, fixCommit); err != nil {
		return err
	}
	e.chapter("Tuesday 11:30", "merged: a new artifact")
	merge, err = e.merge(ctx, repo, fixBranch)
	if err != nil {
		return err
	}
	fixRel, err := e.waitRelease(ctx, merge)
	if err != nil {
		return err
	}
	s.noteRelease(fixRel)
	e.chapter("Tuesday 11:40", "production again, with extra caution ("+fixRel.Version+", hotfix profile)")
	fix, err := e.promote(ctx, fixRel, prodEnv)
	if err != nil {
		return err
	}
	s.add(fix)
	if fix.Incident != nil {
		return fmt.Errorf("the fix %s was rolled back too (incident %s): %s", fix.Release.Version, fix.Incident.ID, fix.Stages[len(fix.Stages)-1].Reason)
	}
	if err := e.reportResolution(ctx, d.Incident.ID); err != nil {
		return err
	}

	e.chapter("Tuesday 12:10", "post-mortem draft from the journal")
	path, err := e.postMortem(ctx, d.Incident.ID)
	if err != nil {
		return err
	}
	if md, err := os.ReadFile(path); err == nil {
		fmt.Fprintf(e.out, "post-mortem draft: %s (%d lines), drafted by the control plane at the rollback and redrafted after the fix\n", path, strings.Count(string(md), "\n"))
	}
	s.PostMortem, s.Incident = path, d.Incident.ID
	s.Outcome = fmt.Sprintf("story: %s -> v%s rolled back -> v%s promoted | incident %s | post-mortem %s",
		baseTag, d.Release.Version, fixRel.Version, d.Incident.ID, path)
	return nil
}

// ship waits for commit's release to reach the environment before prodEnv and
// promotes it there, as the person does for the first version.
func (e *env) ship(ctx context.Context, s *Summary, commit, prodEnv string) (delivery.Delivery, error) {
	rel, err := e.waitRelease(ctx, commit)
	if err != nil {
		return delivery.Delivery{}, err
	}
	s.noteRelease(rel)
	d, err := e.promote(ctx, rel, prodEnv)
	if err != nil {
		return d, err
	}
	s.add(d)
	return d, nil
}

// merge merges branch into main, as a person does; the control plane sees main move.
func (e *env) merge(ctx context.Context, repo *vcs.Repo, branch string) (string, error) {
	if err := repo.Checkout(ctx, "main"); err != nil {
		return "", err
	}
	repo.Identity = engineer
	hash, err := repo.Merge(ctx, branch, fmt.Sprintf("Merge branch '%s'", branch))
	if err != nil {
		return "", err
	}
	fmt.Fprintf(e.out, "$ git checkout main; git merge %s -> %s\n", branch, hash[:7])
	return hash, nil
}

// cachedSteps counts the steps of run served from the step cache.
func (e *env) cachedSteps(ctx context.Context, run string) (int, error) {
	evs, err := e.st.Events(ctx, store.Filter{Run: run, Kinds: []string{"step.finished"}})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, ev := range evs {
		if ev.Data["cached"] == true {
			n++
		}
	}
	return n, nil
}

// createRepo makes the contract-api repository at v1.11.3 from the example.
func (e *env) createRepo(ctx context.Context) (*vcs.Repo, error) {
	dir := e.repo
	if err := copyTree(e.opts.Example, dir, func(rel string) bool { return rel == "_story" }); err != nil {
		return nil, err
	}
	if section := e.opts.notifySection(); section != "" {
		f, err := os.OpenFile(filepath.Join(dir, "slipway.yaml"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		_, err = fmt.Fprint(f, section)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	repo, err := vcs.Init(ctx, dir)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, ".gitignore"), []byte(".slipway/\n"), 0o644); err != nil {
		return nil, err
	}
	repo.Identity = techLead
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
// the chapter's message; it returns the commit.
func (e *env) commitChapter(ctx context.Context, repo *vcs.Repo, branch, chapter string) (string, error) {
	if err := repo.Checkout(ctx, "main"); err != nil {
		return "", err
	}
	if err := repo.Branch(ctx, branch, "main"); err != nil {
		return "", err
	}
	if err := repo.Checkout(ctx, branch); err != nil {
		return "", err
	}
	src := filepath.Join(e.opts.Example, "_story", chapter)
	msg, err := os.ReadFile(filepath.Join(src, "COMMIT_MSG"))
	if err != nil {
		return "", fmt.Errorf("story chapter %s: %w", chapter, err)
	}
	if err := copyTree(src, repo.Dir, func(rel string) bool { return rel == "COMMIT_MSG" }); err != nil {
		return "", err
	}
	repo.Identity = engineer
	hash, err := repo.CommitAll(ctx, string(msg), time.Time{})
	if err != nil {
		return "", err
	}
	fmt.Fprintf(e.out, "$ git checkout -b %s; git commit -m %q -> %s\n", branch, firstLine(string(msg)), hash[:7])
	return hash, nil
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

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
