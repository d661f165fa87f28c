package artifact

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// runTimeout bounds a build command (BuildInput.Run).
const runTimeout = 30 * time.Minute

// runBuild runs in.Run with sh -c inside in.SourceDir, then copies the executable it
// made, in.SourceDir/in.Binary, to out. The command's output goes to log as it is
// written; a failure carries its last lines. The command sees SLIPWAY_SERVICE,
// SLIPWAY_VERSION and SLIPWAY_COMMIT, and is stopped after runTimeout.
func runBuild(ctx context.Context, in BuildInput, out string, log io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", in.Run)
	cmd.Dir = in.SourceDir
	cmd.Env = append(os.Environ(),
		"SLIPWAY_SERVICE="+in.Service, "SLIPWAY_VERSION="+in.Version, "SLIPWAY_COMMIT="+in.Commit)
	tail := &tailBuffer{max: 16 << 10}
	var w io.Writer = tail
	if log != nil {
		fmt.Fprintf(log, "artifact: run %q in %s\n", in.Run, in.SourceDir)
		w = io.MultiWriter(log, tail)
	}
	cmd.Stdout, cmd.Stderr = w, w
	// Children of sh may keep the output open after sh is killed: stop waiting then.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("build command %q in %s: stopped after %s: %w", in.Run, in.SourceDir, runTimeout, ctx.Err())
		}
		return fmt.Errorf("build command %q in %s: %w\n%s", in.Run, in.SourceDir, err, lastLines(tail.String(), 20))
	}
	src := filepath.Join(in.SourceDir, filepath.FromSlash(in.Binary))
	if err := checkExecutable(src); err != nil {
		return fmt.Errorf("build command %q in %s: %w", in.Run, in.SourceDir, err)
	}
	if err := copyFile(src, out); err != nil {
		return fmt.Errorf("build command %q: copy %s: %w", in.Run, in.Binary, err)
	}
	return nil
}

// checkExecutable says what is wrong with path as the artifact's executable.
func checkExecutable(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("binary %s does not exist after the command: make the command write it, or point build.binary at what it writes", path)
	case err != nil:
		return fmt.Errorf("binary %s: %w", path, err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("binary %s is not a regular file (%s): point build.binary at the executable itself", path, fi.Mode().Type())
	case fi.Mode().Perm()&0o111 == 0:
		return fmt.Errorf("binary %s is not executable (mode %s): make the command chmod +x it", path, fi.Mode().Perm())
	}
	return nil
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o755)
}

// validRelPath reports whether p names a file inside the tree it is relative to.
func validRelPath(p string) bool {
	if p == "" || filepath.IsAbs(p) || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "-") {
		return false
	}
	clean := filepath.ToSlash(filepath.Clean(filepath.FromSlash(p)))
	return clean != "." && clean != ".." && !strings.HasPrefix(clean, "../")
}

// lastLines returns at most n final lines of s, noting how many came before.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) <= n {
		return strings.Join(lines, "\n")
	}
	return fmt.Sprintf("... (%d lines before)\n", len(lines)-n) + strings.Join(lines[len(lines)-n:], "\n")
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf bytes.Buffer
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf.Write(p)
	if extra := t.buf.Len() - t.max; extra > 0 {
		t.buf.Next(extra)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return t.buf.String() }
