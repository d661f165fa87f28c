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
)

// compile runs `go build` for in.Main inside in.SourceDir and writes a static,
// stripped binary to out. On failure the compiler output goes to log and the
// error names the package and carries the first lines of that output.
func compile(ctx context.Context, goBin string, in BuildInput, out string, log io.Writer) error {
	fi, err := os.Stat(filepath.Join(in.SourceDir, "go.mod"))
	if err != nil || fi.IsDir() {
		if err == nil || errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("build %s: source directory %s has no go.mod: point SourceDir at the module root", in.Main, in.SourceDir)
		}
		return fmt.Errorf("build %s: %w", in.Main, err)
	}
	args := []string{
		"build",
		"-trimpath",
		"-buildvcs=false",
		"-ldflags", "-s -w -X main.version=" + in.Version,
		"-o", out,
		in.Main,
	}
	cmd := exec.CommandContext(ctx, goBin, args...)
	cmd.Dir = in.SourceDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var output bytes.Buffer
	cmd.Stdout = &output
	cmd.Stderr = &output
	if err := cmd.Run(); err != nil {
		if log != nil {
			fmt.Fprintf(log, "artifact: go build %s failed:\n", in.Main)
			log.Write(output.Bytes())
		}
		if ctx.Err() != nil {
			return fmt.Errorf("build %s in %s: %w", in.Main, in.SourceDir, ctx.Err())
		}
		return fmt.Errorf("build %s in %s: %w\n%s", in.Main, in.SourceDir, err, firstLines(output.String(), 20))
	}
	return nil
}

// firstLines returns at most n lines of s, noting how many were left out.
func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) <= n {
		return strings.Join(lines, "\n")
	}
	return strings.Join(lines[:n], "\n") + fmt.Sprintf("\n... (%d more lines)", len(lines)-n)
}
