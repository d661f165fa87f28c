// Package vcs drives git through its command line: commits between refs, changed
// files, tags, merges and the content of a tree at any ref. Every command runs with
// -C pointing at the repository, so the process working directory never matters.
package vcs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// Identity is the author and committer recorded by CommitAll and Merge when the
// environment does not name one (GIT_AUTHOR_NAME and friends win when set).
const (
	identityName  = "Slipway"
	identityEmail = "slipway@localhost"
)

// ErrNotFound is returned when a ref, tag or path does not exist.
var ErrNotFound = errors.New("not found")

// Repo is a git repository on disk.
type Repo struct {
	// Dir is the work tree's root directory.
	Dir string
	// Identity, as "Name <email>", is who CommitAll and Merge record as author and
	// committer. Empty: the environment's GIT_AUTHOR_NAME and friends, else Slipway.
	Identity string

	stampOnce sync.Once
	stampMu   sync.Mutex
	stampDirs map[string]string // remote ("" for local) -> git dir Stamp reads
}

// Open returns the repository whose work tree contains dir.
func Open(ctx context.Context, dir string) (*Repo, error) {
	r := &Repo{Dir: dir}
	top, err := r.git(ctx, nil, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("open repository %s: %w", dir, err)
	}
	return &Repo{Dir: strings.TrimSpace(top)}, nil
}

// Init creates a repository in dir (created if missing) whose first branch is main.
func Init(ctx context.Context, dir string) (*Repo, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("init repository %s: %w", dir, err)
	}
	r := &Repo{Dir: dir}
	if _, err := r.git(ctx, nil, "init", "-q", "-b", "main"); err != nil {
		return nil, fmt.Errorf("init repository %s: %w", dir, err)
	}
	return r, nil
}

// GitError is a git command that exited non-zero, with what it printed on stderr.
type GitError struct {
	Args     []string
	ExitCode int
	Stderr   string
}

func (e *GitError) Error() string {
	msg := strings.TrimSpace(e.Stderr)
	if msg == "" {
		msg = fmt.Sprintf("exit status %d", e.ExitCode)
	}
	return fmt.Sprintf("git %s: %s", strings.Join(e.Args, " "), msg)
}

// git runs one git command in r.Dir and returns its stdout.
func (r *Repo) git(ctx context.Context, env []string, args ...string) (string, error) {
	out, err := r.gitBytes(ctx, env, nil, args...)
	return string(out), err
}

func (r *Repo) gitBytes(ctx context.Context, env []string, stdin []byte, args ...string) ([]byte, error) {
	full := append([]string{"-C", r.Dir}, args...)
	cmd := exec.CommandContext(ctx, "git", full...)
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	cmd.Env = append(cmd.Env, env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("git %s: %w", strings.Join(args, " "), ctx.Err())
		}
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return nil, &GitError{Args: args, ExitCode: exit.ExitCode(), Stderr: stderr.String()}
		}
		return nil, fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return stdout.Bytes(), nil
}

// commitEnv returns the identity and, when when is set, the fixed dates a commit is
// recorded with, so the same tree and message always produce the same hash.
func (r *Repo) commitEnv(when time.Time) []string {
	var env []string
	name, email, named := parseAuthor(r.Identity)
	for _, kv := range [][2]string{
		{"GIT_AUTHOR_NAME", identityName},
		{"GIT_AUTHOR_EMAIL", identityEmail},
		{"GIT_COMMITTER_NAME", identityName},
		{"GIT_COMMITTER_EMAIL", identityEmail},
	} {
		switch {
		case named && strings.HasSuffix(kv[0], "_NAME"):
			env = append(env, kv[0]+"="+name)
		case named:
			env = append(env, kv[0]+"="+email)
		case os.Getenv(kv[0]) == "":
			env = append(env, kv[0]+"="+kv[1])
		}
	}
	if !when.IsZero() {
		d := when.Format(time.RFC3339)
		env = append(env, "GIT_AUTHOR_DATE="+d, "GIT_COMMITTER_DATE="+d)
	}
	return env
}

// parseAuthor splits "Name <email>"; ok is false when a is not of that form.
func parseAuthor(a string) (name, email string, ok bool) {
	name, rest, found := strings.Cut(strings.TrimSpace(a), " <")
	if !found || !strings.HasSuffix(rest, ">") || strings.TrimSpace(name) == "" || len(rest) < 2 {
		return "", "", false
	}
	return strings.TrimSpace(name), strings.TrimSuffix(rest, ">"), true
}

// CommitAll stages every change in the work tree and commits it with msg. A non-zero
// when fixes the author and committer dates, which makes the hash deterministic.
func (r *Repo) CommitAll(ctx context.Context, msg string, when time.Time) (string, error) {
	if strings.TrimSpace(msg) == "" {
		return "", fmt.Errorf("commit in %s: empty message: give the commit a subject", r.Dir)
	}
	if _, err := r.git(ctx, nil, "add", "-A"); err != nil {
		return "", fmt.Errorf("commit in %s: %w", r.Dir, err)
	}
	if _, err := r.gitBytes(ctx, r.commitEnv(when), []byte(msg), "-c", "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-F", "-"); err != nil {
		return "", fmt.Errorf("commit in %s: %w", r.Dir, err)
	}
	return r.Head(ctx)
}

// Tag creates a lightweight tag name at ref.
func (r *Repo) Tag(ctx context.Context, name, ref string) error {
	if _, err := r.git(ctx, nil, "tag", name, ref); err != nil {
		return fmt.Errorf("tag %s at %s: %w", name, ref, err)
	}
	return nil
}

// Branch creates branch name starting at from, without switching to it.
func (r *Repo) Branch(ctx context.Context, name, from string) error {
	if _, err := r.git(ctx, nil, "branch", name, from); err != nil {
		return fmt.Errorf("branch %s from %s: %w", name, from, err)
	}
	return nil
}

// Checkout switches the work tree to ref (a branch, tag or commit).
func (r *Repo) Checkout(ctx context.Context, ref string) error {
	if _, err := r.git(ctx, nil, "checkout", "-q", ref); err != nil {
		return fmt.Errorf("checkout %s: %w", ref, err)
	}
	return nil
}

// Merge merges branch into the current branch with a merge commit (--no-ff) and
// returns the new HEAD. A conflict aborts the merge and leaves the tree as it was.
func (r *Repo) Merge(ctx context.Context, branch, msg string) (string, error) {
	if msg == "" {
		msg = "Merge branch '" + branch + "'"
	}
	if _, err := r.git(ctx, r.commitEnv(time.Time{}), "-c", "commit.gpgsign=false", "merge", "-q", "--no-ff", "-m", msg, branch); err != nil {
		_, _ = r.git(ctx, nil, "merge", "--abort")
		return "", fmt.Errorf("merge %s: %w", branch, err)
	}
	return r.Head(ctx)
}

// Head returns the full hash of the checked-out commit.
func (r *Repo) Head(ctx context.Context) (string, error) {
	return r.ResolveRef(ctx, "HEAD")
}

// ResolveRef returns the full commit hash ref points at, or an error wrapping
// ErrNotFound when it does not name a commit.
func (r *Repo) ResolveRef(ctx context.Context, ref string) (string, error) {
	if ref == "" || strings.HasPrefix(ref, "-") {
		return "", fmt.Errorf("resolve %q: not a ref name", ref)
	}
	out, err := r.git(ctx, nil, "rev-parse", "--verify", "--quiet", "--end-of-options", ref+"^{commit}")
	if err != nil {
		var ge *GitError
		if errors.As(err, &ge) {
			return "", fmt.Errorf("resolve %s in %s: %w", ref, r.Dir, ErrNotFound)
		}
		return "", fmt.Errorf("resolve %s: %w", ref, err)
	}
	return strings.TrimSpace(out), nil
}
