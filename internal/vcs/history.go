package vcs

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
)

// Commit is one commit as git records it.
type Commit struct {
	Hash    string
	Subject string
	Body    string
	Author  string
	Time    time.Time
}

// Short returns the first seven characters of the hash.
func (c Commit) Short() string {
	if len(c.Hash) > 7 {
		return c.Hash[:7]
	}
	return c.Hash
}

const (
	fieldSep  = "\x1f"
	recordSep = "\x1e"
)

// Log returns the commits reachable from to but not from from, oldest first, without
// merge commits. An empty from lists the whole history of to. With paths, only the
// commits that change something under them (relative to the repository root).
func (r *Repo) Log(ctx context.Context, from, to string, paths ...string) ([]Commit, error) {
	rng, err := r.rangeSpec(ctx, from, to)
	if err != nil {
		return nil, fmt.Errorf("log %s..%s: %w", from, to, err)
	}
	format := "--format=" + strings.Join([]string{"%H", "%an <%ae>", "%aI", "%s", "%b"}, "%x1f") + "%x1e"
	args := append([]string{"log", "--no-merges", "--reverse", format, rng, "--"}, paths...)
	out, err := r.git(ctx, nil, args...)
	if err != nil {
		return nil, fmt.Errorf("log %s..%s: %w", from, to, err)
	}
	var commits []Commit
	for rec := range strings.SplitSeq(out, recordSep) {
		rec = strings.TrimLeft(rec, "\n")
		if rec == "" {
			continue
		}
		f := strings.SplitN(rec, fieldSep, 5)
		if len(f) != 5 {
			return nil, fmt.Errorf("log %s..%s: unexpected record %q", from, to, rec)
		}
		t, err := time.Parse(time.RFC3339, f[2])
		if err != nil {
			return nil, fmt.Errorf("log %s..%s: commit %s date: %w", from, to, f[0], err)
		}
		commits = append(commits, Commit{
			Hash: f[0], Author: f[1], Time: t, Subject: f[3],
			Body: strings.TrimRight(f[4], "\n"),
		})
	}
	return commits, nil
}

// rangeSpec checks both refs and returns "from..to", or "to" when from is empty.
func (r *Repo) rangeSpec(ctx context.Context, from, to string) (string, error) {
	toHash, err := r.ResolveRef(ctx, to)
	if err != nil {
		return "", err
	}
	if from == "" {
		return toHash, nil
	}
	fromHash, err := r.ResolveRef(ctx, from)
	if err != nil {
		return "", err
	}
	return fromHash + ".." + toHash, nil
}

// ChangedFiles returns the paths, relative to the repository root and sorted, that
// differ between the trees of from and to. An empty from means every file of to; an
// empty to means the work tree, including untracked files that are not ignored.
func (r *Repo) ChangedFiles(ctx context.Context, from, to string) ([]string, error) {
	var outs []string
	switch {
	case from == "" && to == "":
		return nil, errors.New("changed files: give at least one of from and to")
	case from == "":
		h, err := r.ResolveRef(ctx, to)
		if err != nil {
			return nil, fmt.Errorf("changed files in %s: %w", to, err)
		}
		out, err := r.git(ctx, nil, "ls-tree", "-r", "-z", "--name-only", h)
		if err != nil {
			return nil, fmt.Errorf("changed files in %s: %w", to, err)
		}
		outs = append(outs, out)
	default:
		fromHash, err := r.ResolveRef(ctx, from)
		if err != nil {
			return nil, fmt.Errorf("changed files %s..%s: %w", from, to, err)
		}
		args := []string{"diff", "--name-only", "-z", "--no-renames", fromHash}
		if to != "" {
			toHash, err := r.ResolveRef(ctx, to)
			if err != nil {
				return nil, fmt.Errorf("changed files %s..%s: %w", from, to, err)
			}
			args = append(args, toHash)
		}
		out, err := r.git(ctx, nil, append(args, "--")...)
		if err != nil {
			return nil, fmt.Errorf("changed files %s..%s: %w", from, to, err)
		}
		outs = append(outs, out)
		if to == "" {
			untracked, err := r.git(ctx, nil, "ls-files", "-z", "--others", "--exclude-standard")
			if err != nil {
				return nil, fmt.Errorf("changed files %s..work tree: %w", from, err)
			}
			outs = append(outs, untracked)
		}
	}
	var files []string
	for _, out := range outs {
		for f := range strings.SplitSeq(out, "\x00") {
			if f != "" {
				files = append(files, f)
			}
		}
	}
	slices.Sort(files)
	return slices.Compact(files), nil
}

// LatestTag returns the highest semantic version among the tags matching pattern
// (a glob such as "v*") that are reachable from ref. Tags that are not versions are
// ignored. It returns an error wrapping ErrNotFound when there is none.
func (r *Repo) LatestTag(ctx context.Context, ref, pattern string) (string, error) {
	if pattern == "" {
		pattern = "*"
	}
	h, err := r.ResolveRef(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("latest tag at %s: %w", ref, err)
	}
	out, err := r.git(ctx, nil, "tag", "--list", "--merged", h, pattern)
	if err != nil {
		return "", fmt.Errorf("latest tag at %s: %w", ref, err)
	}
	var best string
	var bestV *semver.Version
	for tag := range strings.SplitSeq(out, "\n") {
		tag = strings.TrimSpace(tag)
		// A service in a subdirectory tags "<dir>/v1.2.3": the version is the last part.
		v, err := semver.NewVersion(tag[strings.LastIndex(tag, "/")+1:])
		if tag == "" || err != nil {
			continue
		}
		if bestV == nil || v.GreaterThan(bestV) {
			best, bestV = tag, v
		}
	}
	if bestV == nil {
		return "", fmt.Errorf("latest tag matching %q at %s: %w", pattern, ref, ErrNotFound)
	}
	return best, nil
}

// Show returns the content of the file at path (relative to the repository root) as
// it was at ref. A missing path or ref yields an error wrapping ErrNotFound.
func (r *Repo) Show(ctx context.Context, ref, p string) ([]byte, error) {
	clean := path.Clean(filepath.ToSlash(p))
	if clean == "." || strings.HasPrefix(clean, "../") || path.IsAbs(clean) {
		return nil, fmt.Errorf("show %s at %s: path must be relative to the repository root", p, ref)
	}
	h, err := r.ResolveRef(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("show %s at %s: %w", p, ref, err)
	}
	out, err := r.gitBytes(ctx, nil, nil, "cat-file", "blob", h+":"+clean)
	if err != nil {
		var ge *GitError
		if errors.As(err, &ge) {
			return nil, fmt.Errorf("show %s at %s: %w", p, ref, ErrNotFound)
		}
		return nil, fmt.Errorf("show %s at %s: %w", p, ref, err)
	}
	return out, nil
}

// Export writes the tree of ref into dir (created if missing), without .git, the way
// a clean checkout of that commit would look.
func (r *Repo) Export(ctx context.Context, ref, dir string) error {
	h, err := r.ResolveRef(ctx, ref)
	if err != nil {
		return fmt.Errorf("export %s: %w", ref, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("export %s to %s: %w", ref, dir, err)
	}
	cmd := exec.CommandContext(ctx, "git", "-C", r.Dir, "archive", "--format=tar", h)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return fmt.Errorf("export %s: %w", ref, err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("export %s: %w", ref, err)
	}
	extractErr := untar(pipe, dir)
	_, _ = io.Copy(io.Discard, pipe)
	waitErr := cmd.Wait()
	if waitErr != nil {
		return fmt.Errorf("export %s: git archive: %w: %s", ref, waitErr, strings.TrimSpace(stderr.String()))
	}
	if extractErr != nil {
		return fmt.Errorf("export %s to %s: %w", ref, dir, extractErr)
	}
	return nil
}

// untar extracts a git archive stream into dir, refusing entries that escape it.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := path.Clean(hdr.Name)
		if name == "." || path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			continue
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(target, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, os.FileMode(hdr.Mode)&0o777)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			_ = os.Remove(target)
			if err := os.Symlink(hdr.Linkname, target); err != nil {
				return err
			}
		}
	}
}
