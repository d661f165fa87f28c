package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// cacheVersion changes whenever the key's recipe does, so old entries stop matching.
const cacheVersion = "slipway-step-cache/1"

// stepKey hashes what decides a step's outcome: its rendered command, its own env
// and the content (and executable bit) of its input files.
func stepKey(command string, env []string, files []string, dir string) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\ncommand %d\n%s\n", cacheVersion, len(command), command)
	sorted := slices.Clone(env)
	slices.Sort(sorted)
	for _, e := range sorted {
		fmt.Fprintf(h, "env %d\n%s\n", len(e), e)
	}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		fi, err := os.Lstat(p)
		if err != nil {
			return "", fmt.Errorf("hash input %s: %w", f, err)
		}
		fh := sha256.New()
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return "", fmt.Errorf("hash input %s: %w", f, err)
			}
			io.WriteString(fh, "symlink:"+target)
		default:
			r, err := os.Open(p)
			if err != nil {
				return "", fmt.Errorf("hash input %s: %w", f, err)
			}
			_, err = io.Copy(fh, r)
			r.Close()
			if err != nil {
				return "", fmt.Errorf("hash input %s: %w", f, err)
			}
		}
		fmt.Fprintf(h, "file %d\n%s\n%x %t\n", len(f), f, fh.Sum(nil), fi.Mode()&0o111 != 0)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// listFiles returns the candidate input files of dir, slash-separated and sorted:
// when dir is the top of a git work tree, the tracked and untracked-but-not-ignored
// files (so build outputs listed in .gitignore do not disturb the cache), otherwise
// every regular file - a tree exported inside another repository's ignored directory
// must not borrow that repository's idea of its files; never anything under .git or
// the skipped directories.
func listFiles(ctx context.Context, dir string, skip []string) ([]string, error) {
	var files []string
	var out []byte
	gitErr := errNotTopLevel
	if isWorkTreeTop(ctx, dir) {
		cmd := exec.CommandContext(ctx, "git", "-C", dir, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--deduplicate")
		out, gitErr = cmd.Output()
	}
	if gitErr == nil {
		for f := range strings.SplitSeq(string(out), "\x00") {
			if f == "" {
				continue
			}
			// Deleted but still tracked files are not inputs.
			if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(f))); err == nil {
				files = append(files, f)
			}
		}
	} else {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if d.Name() == ".git" && p != dir {
					return filepath.SkipDir
				}
				return nil
			}
			if !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
				return nil
			}
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list input files of %s: %w", dir, err)
		}
	}
	files = slices.DeleteFunc(files, func(f string) bool {
		for _, s := range skip {
			if f == s || strings.HasPrefix(f, s+"/") {
				return true
			}
		}
		return false
	})
	slices.Sort(files)
	return files, nil
}

// selectInputs keeps the files matching any of the globs; no globs keeps all. A glob
// matching nothing is an error: it is almost always a typo, and an empty input set
// would make the cache return stale results.
func selectInputs(step string, files, globs []string) ([]string, error) {
	if len(globs) == 0 {
		return files, nil
	}
	for _, g := range globs {
		if _, err := path.Match(strings.ReplaceAll(g, "**", "*"), ""); err != nil {
			return nil, fmt.Errorf("step %q: input glob %q: %w", step, g, err)
		}
	}
	var out []string
	hit := make([]bool, len(globs))
	for _, f := range files {
		keep := false
		for i, g := range globs {
			if matchGlob(path.Clean(strings.TrimPrefix(g, "./")), f) {
				hit[i], keep = true, true
			}
		}
		if keep {
			out = append(out, f)
		}
	}
	for i, g := range globs {
		if !hit[i] {
			return nil, fmt.Errorf("step %q: input glob %q matches no file: fix the glob or remove it", step, g)
		}
	}
	return out, nil
}

// matchGlob matches a slash-separated name against a glob where "**" as a whole
// segment stands for any number of directories (including none), and a pattern
// naming a directory matches everything below it.
func matchGlob(pattern, name string) bool {
	return matchSegs(strings.Split(pattern, "/"), strings.Split(name, "/"))
}

func matchSegs(pat, name []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(name); i++ {
				if matchSegs(pat[1:], name[i:]) {
					return true
				}
			}
			return false
		}
		if len(name) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], name[0]); !ok {
			return false
		}
		pat, name = pat[1:], name[1:]
	}
	// The pattern named a directory: everything under it matches.
	return true
}

// cacheEntry is what a passed step leaves in the cache, next to a copy of its log.
type cacheEntry struct {
	Step       string    `json:"step"`
	ExitCode   int       `json:"exit_code"`
	DurationMS int64     `json:"duration_ms"`
	Created    time.Time `json:"created"`
}

type cache struct{ dir string }

func (c cache) paths(key string) (meta, log string) {
	base := filepath.Join(c.dir, "steps", key[:2], key)
	return base + ".json", base + ".log"
}

// get returns the entry for key and copies its log to logPath; ok is false on a miss.
func (c cache) get(key, logPath string) (cacheEntry, bool, error) {
	meta, log := c.paths(key)
	b, err := os.ReadFile(meta)
	if errors.Is(err, fs.ErrNotExist) {
		return cacheEntry{}, false, nil
	}
	if err != nil {
		return cacheEntry{}, false, fmt.Errorf("read step cache %s: %w", meta, err)
	}
	var e cacheEntry
	if err := json.Unmarshal(b, &e); err != nil {
		// A damaged entry is a miss; the next pass overwrites it.
		return cacheEntry{}, false, nil
	}
	if err := copyFile(log, logPath); err != nil {
		return cacheEntry{}, false, nil
	}
	return e, true, nil
}

// put records a passed step. The log is written before the metadata, and each through
// a rename, so a reader never sees an entry without its log.
func (c cache) put(key string, e cacheEntry, logPath string) error {
	meta, log := c.paths(key)
	if err := os.MkdirAll(filepath.Dir(meta), 0o755); err != nil {
		return fmt.Errorf("write step cache: %w", err)
	}
	if err := copyFile(logPath, log); err != nil {
		return fmt.Errorf("write step cache: %w", err)
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("write step cache: %w", err)
	}
	if err := writeFile(meta, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return fmt.Errorf("write step cache: %w", err)
	}
	return nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	return writeFile(to, func(w io.Writer) error { _, err := io.Copy(w, src); return err })
}

// writeFile writes to a temporary file next to name and renames it into place, so
// concurrent writers and readers never see a partial file.
func writeFile(name string, write func(io.Writer) error) error {
	dst, err := os.CreateTemp(filepath.Dir(name), ".tmp-*")
	if err != nil {
		return err
	}
	err = write(dst)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(dst.Name(), name)
	}
	if err != nil {
		os.Remove(dst.Name())
	}
	return err
}

var errNotTopLevel = errors.New("not the top of a git work tree")

// isWorkTreeTop reports whether dir is the top-level directory of a git work tree.
func isWorkTreeTop(ctx context.Context, dir string) bool {
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return false
	}
	top, err1 := filepath.EvalSymlinks(strings.TrimSpace(string(out)))
	abs, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return false
	}
	abs, err2 = filepath.EvalSymlinks(abs)
	return err2 == nil && top == abs
}
