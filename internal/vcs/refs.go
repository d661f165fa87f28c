package vcs

import (
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Heads returns the head commit of every branch: the local branches when remote is
// empty, else the remote-tracking branches of remote (as last fetched), named
// without the remote's prefix.
func (r *Repo) Heads(ctx context.Context, remote string) (map[string]string, error) {
	prefix := "refs/heads/"
	if remote != "" {
		prefix = "refs/remotes/" + remote + "/"
	}
	out, err := r.git(ctx, nil, "for-each-ref", "--format=%(objectname) %(refname)", prefix)
	if err != nil {
		return nil, fmt.Errorf("list branches in %s: %w", r.Dir, err)
	}
	heads := map[string]string{}
	for line := range strings.SplitSeq(out, "\n") {
		hash, ref, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		name := strings.TrimPrefix(ref, prefix)
		if name == "HEAD" {
			continue
		}
		heads[name] = hash
	}
	return heads, nil
}

// Fetch updates the remote-tracking branches and tags of remote, pruning deleted
// branches.
func (r *Repo) Fetch(ctx context.Context, remote string) error {
	if _, err := r.git(ctx, nil, "fetch", "--quiet", "--prune", "--tags", remote); err != nil {
		return fmt.Errorf("fetch %s in %s: %w", remote, r.Dir, err)
	}
	return nil
}

// PushTag publishes tag to remote.
func (r *Repo) PushTag(ctx context.Context, remote, tag string) error {
	if _, err := r.git(ctx, nil, "push", "--quiet", remote, "refs/tags/"+tag); err != nil {
		return fmt.Errorf("push tag %s to %s: %w", tag, remote, err)
	}
	return nil
}

// HasRemote reports whether the repository has a remote named name.
func (r *Repo) HasRemote(ctx context.Context, name string) bool {
	_, err := r.git(ctx, nil, "remote", "get-url", name)
	return err == nil
}

// RefChange is a branch whose head moved: Old is empty for a new branch, New for a
// deleted one.
type RefChange struct {
	Branch, Old, New string
}

// Diff lists how heads moved from before to after, sorted by branch.
func Diff(before, after map[string]string) []RefChange {
	var out []RefChange
	for b, h := range after {
		if before[b] != h {
			out = append(out, RefChange{Branch: b, Old: before[b], New: h})
		}
	}
	for b, h := range before {
		if _, ok := after[b]; !ok {
			out = append(out, RefChange{Branch: b, Old: h})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Branch < out[j].Branch })
	return out
}

// Author returns who wrote commit, as "Name <email>".
func (r *Repo) Author(ctx context.Context, commit string) (string, error) {
	out, err := r.git(ctx, nil, "log", "-1", "--format=%an <%ae>", commit, "--")
	if err != nil {
		return "", fmt.Errorf("author of %s: %w", commit, err)
	}
	return strings.TrimSpace(out), nil
}

// Stamp is a cheap fingerprint of where branches point, for polling without
// running git: the names, sizes and modification times of the branch refs and the
// packed refs of the repository (remote empty) or of remote when it is a
// repository on this machine. Git rewrites one of them whenever a branch moves.
// An empty Stamp means it cannot tell (a remote reached over the network): read
// the heads instead.
func (r *Repo) Stamp(ctx context.Context, remote string) string {
	dir := r.stampDir(ctx, remote)
	if dir == "" {
		return ""
	}
	h := fnv.New64a()
	add := func(p string) {
		if fi, err := os.Stat(p); err == nil {
			fmt.Fprintf(h, "%s %d %d\n", p, fi.Size(), fi.ModTime().UnixNano())
		}
	}
	add(filepath.Join(dir, "packed-refs"))
	heads := filepath.Join(dir, "refs", "heads")
	add(heads)
	err := filepath.WalkDir(heads, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		add(p)
		return nil
	})
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%x", h.Sum64())
}

// stampDir is the git directory whose branch refs Stamp reads, or "".
func (r *Repo) stampDir(ctx context.Context, remote string) string {
	r.stampOnce.Do(func() { r.stampDirs = map[string]string{} })
	r.stampMu.Lock()
	defer r.stampMu.Unlock()
	if d, ok := r.stampDirs[remote]; ok {
		return d
	}
	d := ""
	if remote == "" {
		if out, err := r.git(ctx, nil, "rev-parse", "--path-format=absolute", "--git-common-dir"); err == nil {
			d = strings.TrimSpace(out)
		}
	} else if out, err := r.git(ctx, nil, "remote", "get-url", remote); err == nil {
		url := strings.TrimPrefix(strings.TrimSpace(out), "file://")
		if !filepath.IsAbs(url) {
			url = filepath.Join(r.Dir, url)
		}
		for _, cand := range []string{filepath.Join(url, ".git"), url} {
			if fi, err := os.Stat(filepath.Join(cand, "refs")); err == nil && fi.IsDir() {
				d = cand
				break
			}
		}
	}
	r.stampDirs[remote] = d
	return d
}
