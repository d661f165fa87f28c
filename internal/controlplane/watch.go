package controlplane

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/delivery"
	"github.com/slipway/slipway/internal/pipeline"
	"github.com/slipway/slipway/internal/store"
	"github.com/slipway/slipway/internal/vcs"
)

// branchRun is a branch pipeline in flight.
type branchRun struct {
	commit string
	cancel context.CancelFunc
	done   chan struct{}
}

// fullRead is how often branches are read with git even when their files did
// not seem to move.
const fullRead = 30 * time.Second

// refsRecord is what the control plane last saw of the branches (record "refs",
// id the service), so that pushes made while it was down are built when it is back.
type refsRecord struct {
	Heads map[string]string `json:"heads"`
}

// run serves the service until ctx ends: rollouts left unfinished resume, the main
// branch's commits are released in order, and every branch push runs its pipeline.
func (s *service) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.releaseLoop(ctx) })
	wg.Go(func() { s.followDeploys(ctx) })
	s.resumeRollouts(ctx)

	var known refsRecord
	err := s.plane.Store.Get(ctx, "refs", s.name, &known)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Error("read last seen branches", "err", err)
	}
	if known.Heads == nil {
		heads, err := s.heads(ctx)
		if err != nil {
			s.log.Error("read branches", "err", err)
		}
		known.Heads = heads
		if s.nothingShipped(ctx) {
			if head := heads[s.main]; head != "" {
				s.log.Info("nothing deployed yet: releasing the head of "+s.main, "commit", short(head))
				s.mainQ <- head
			} else {
				s.log.Warn("no " + s.main + " branch yet: the first commit on it is released")
			}
		}
		s.saveRefs(ctx, known)
	}
	tick := time.NewTicker(s.up.Poll)
	defer tick.Stop()
	var stamp string
	var lastRead time.Time
	for {
		select {
		case <-ctx.Done():
			s.cancelBranches()
			wg.Wait()
			return
		case <-tick.C:
		}
		// Git runs only when the refs' files moved (or every fullRead, in case a
		// change slipped past the stamp); a network remote is always fetched.
		now := s.repo.Stamp(ctx, s.up.Remote)
		if now != "" && now == stamp && time.Since(lastRead) < fullRead {
			continue
		}
		stamp, lastRead = now, time.Now()
		heads, err := s.heads(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("read branches", "err", err)
			}
			continue
		}
		changes := vcs.Diff(known.Heads, heads)
		if len(changes) == 0 {
			continue
		}
		for _, c := range changes {
			s.onPush(ctx, c)
		}
		known.Heads = heads
		s.saveRefs(ctx, known)
	}
}

// heads reads the branches, fetching the remote first when there is one.
func (s *service) heads(ctx context.Context) (map[string]string, error) {
	if s.up.Remote != "" {
		if err := s.repo.Fetch(ctx, s.up.Remote); err != nil {
			return nil, err
		}
	}
	return s.repo.Heads(ctx, s.up.Remote)
}

func (s *service) saveRefs(ctx context.Context, r refsRecord) {
	if err := s.plane.Store.Put(ctx, "refs", s.name, r); err != nil && ctx.Err() == nil {
		s.log.Error("record branches", "err", err)
	}
}

// onPush turns one branch change into work.
func (s *service) onPush(ctx context.Context, c vcs.RefChange) {
	switch {
	case c.New == "":
		s.log.Info("branch deleted", "branch", c.Branch)
		s.cancelBranch(c.Branch)
	case c.Branch == s.main:
		s.log.Info("push to "+s.main+": main pipeline queued", "commit", short(c.New))
		s.mainQ <- c.New
	default:
		s.runBranch(ctx, c.Branch, c.New)
	}
}

// nothingShipped reports whether the service has no deployment anywhere yet.
func (s *service) nothingShipped(ctx context.Context) bool {
	for _, env := range s.plane.config().Environments {
		if _, err := s.plane.Deployer.Current(ctx, env.Name); err == nil {
			return false
		}
	}
	return true
}

// runBranch runs branch's pipeline on commit, cancelling the run of an older commit
// of the same branch.
func (s *service) runBranch(ctx context.Context, branch, commit string) {
	rctx, cancel := context.WithCancel(ctx)
	br := &branchRun{commit: commit, cancel: cancel, done: make(chan struct{})}
	s.runsMu.Lock()
	old := s.branches[branch]
	s.branches[branch] = br
	s.runsMu.Unlock()
	if old != nil {
		s.log.Info("newer commit: cancelling the older run", "branch", branch, "old", short(old.commit), "new", short(commit))
		old.cancel()
	}
	go func() {
		defer close(br.done)
		defer cancel()
		if old != nil {
			<-old.done
		}
		s.pipeline(rctx, branch, commit)
		s.runsMu.Lock()
		if s.branches[branch] == br {
			delete(s.branches, branch)
		}
		s.runsMu.Unlock()
	}()
}

func (s *service) cancelBranch(branch string) {
	s.runsMu.Lock()
	br := s.branches[branch]
	s.runsMu.Unlock()
	if br != nil {
		br.cancel()
	}
}

// cancelBranches stops every branch run and waits for them.
func (s *service) cancelBranches() {
	s.runsMu.Lock()
	runs := make([]*branchRun, 0, len(s.branches))
	for _, br := range s.branches {
		runs = append(runs, br)
	}
	s.runsMu.Unlock()
	for _, br := range runs {
		br.cancel()
		<-br.done
	}
}

// pipeline runs the pipeline branch calls for on commit, with the slipway.yaml of
// that commit. It reports whether it passed.
func (s *service) pipeline(ctx context.Context, branch, commit string) (*config.Config, bool) {
	cfg, _, ok := s.pipelineRun(ctx, branch, commit)
	return cfg, ok
}

// pipelineRun is pipeline, with the run.
func (s *service) pipelineRun(ctx context.Context, branch, commit string) (*config.Config, pipeline.Result, bool) {
	ctx = s.pushedBy(ctx, commit)
	cfg, err := s.configAt(ctx, commit)
	if err != nil {
		s.configInvalid(ctx, branch, commit, err)
		return nil, pipeline.Result{}, false
	}
	res, err := s.engine(cfg).PushCommit(ctx, branch, commit)
	switch {
	case ctx.Err() != nil:
		if res.Run != "" {
			_, _ = s.plane.Store.Append(context.WithoutCancel(ctx), store.Event{Kind: "run.canceled", Service: s.name, Run: res.Run,
				Message: fmt.Sprintf("pipeline %s @%s canceled: a newer commit or a stop superseded it", branch, short(commit)),
				Data:    map[string]any{"branch": branch, "commit": commit}})
		}
		s.log.Info("pipeline canceled", "branch", branch, "commit", short(commit), "run", res.Run)
		return cfg, res, false
	case err != nil:
		s.log.Error("pipeline", "branch", branch, "commit", short(commit), "run", res.Run, "err", err)
		return cfg, res, false
	case !res.Passed:
		s.log.Warn("pipeline failed", "branch", branch, "commit", short(commit), "run", res.Run, "logs", "slipway run logs "+res.Run)
		return cfg, res, false
	}
	s.log.Info("pipeline passed", "branch", branch, "commit", short(commit), "run", res.Run, "took", res.Duration.Round(time.Millisecond))
	return cfg, res, true
}

// configInvalid records that commit's slipway.yaml cannot be used: that run fails
// and nothing changes.
func (s *service) configInvalid(ctx context.Context, branch, commit string, err error) {
	msg := fmt.Sprintf("slipway.yaml at %s (%s) is not usable; nothing was run or changed:\n%v", short(commit), branch, err)
	if errors.Is(err, vcs.ErrNotFound) {
		msg = fmt.Sprintf("no slipway.yaml at %s (%s); nothing was run", short(commit), branch)
	}
	s.log.Error("configuration", "branch", branch, "commit", short(commit), "err", err)
	_, _ = s.plane.Store.Append(ctx, store.Event{Kind: "run.rejected", Service: s.name, Message: msg,
		Data: map[string]any{"branch": branch, "commit": commit, "error": err.Error()}})
}

// releaseLoop releases main's commits in order.
func (s *service) releaseLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case commit := <-s.mainQ:
			s.release(ctx, commit)
			// Building an artifact (image layers, SBOM, scan database) takes tens of
			// megabytes that an idle control plane should not keep.
			debug.FreeOSMemory()
		}
	}
}

// release runs the main pipeline on commit and, when green, releases it and
// delivers the release through the environments up to the first manual one.
func (s *service) release(ctx context.Context, commit string) {
	ctx = s.pushedBy(ctx, commit)
	cfg, ok := s.pipeline(ctx, s.main, commit)
	if !ok {
		return
	}
	if cfg.Service != s.name {
		s.log.Error("slipway.yaml renames the service: a new name is a new service; start it with slipway up", "commit", short(commit), "name", cfg.Service)
		return
	}
	eng := s.engine(cfg)
	rel, err := eng.ReleaseCommit(ctx, s.main, commit)
	if errors.Is(err, delivery.ErrNothingToRelease) {
		s.log.Info("nothing to release", "commit", short(commit), "why", err)
		return
	}
	if err != nil {
		s.log.Error("release", "commit", short(commit), "err", err)
		return
	}
	s.log.Info("released", "version", rel.Version, "digest", rel.Artifact.Digest, "notes", rel.Notes)
	if s.up.Remote != "" && rel.Bump != "existing" {
		if err := s.repo.PushTag(ctx, s.up.Remote, rel.Tag); err != nil {
			s.log.Warn("publish the release tag", "tag", rel.Tag, "err", err)
		}
	}
	if err := s.plane.SetConfig(ctx, cfg); err != nil {
		s.log.Error("record the configuration", "version", rel.Version, "err", err)
		return
	}
	d, err := eng.Deliver(ctx, rel)
	for _, st := range d.Stages {
		s.log.Info("delivered", "version", rel.Version, "env", st.Env, "outcome", st.Outcome, "rollout", st.Rollout, "reason", st.Reason)
	}
	if err != nil {
		s.log.Error("deliver", "version", rel.Version, "err", err)
		return
	}
	if d.Waiting != "" {
		s.log.Info("release waits for a promotion", "version", rel.Version, "env", d.Waiting,
			"run", fmt.Sprintf("slipway promote %s %s", rel.Version, d.Waiting))
	}
}

// pushedBy is ctx recording, for what a push causes, the commit's author through
// git - unless a person's request already names who.
func (s *service) pushedBy(ctx context.Context, commit string) context.Context {
	if _, ok := store.ActorFrom(ctx); ok {
		return ctx
	}
	author, err := s.repo.Author(ctx, commit)
	if err != nil {
		return ctx
	}
	return store.WithActor(ctx, store.Actor{Name: author, Via: "git"})
}
