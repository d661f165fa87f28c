package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// build is one quote-api binary.
type build struct {
	version, path, digest string
}

// buildAll builds the stable (1.0.0), the same code again as 1.0.1, and 1.1.0 with
// the change sets 01 and 02 laid over the tree.
func buildAll(ctx context.Context, src, dir string) (stable, same, slow build, err error) {
	if stable, err = goBuild(ctx, src, dir, "1.0.0"); err != nil {
		return
	}
	if same, err = goBuild(ctx, src, dir, "1.0.1"); err != nil {
		return
	}
	tree := filepath.Join(dir, "quote-api-1.1.0")
	if err = copyTree(src, tree, "_changes"); err != nil {
		return
	}
	for _, set := range []string{"01-feat-symbols-sector", "02-feat-spread-model"} {
		if err = copyTree(filepath.Join(src, "_changes", set), tree, "COMMIT_MSG"); err != nil {
			return
		}
	}
	slow, err = goBuild(ctx, tree, dir, "1.1.0")
	return
}

func goBuild(ctx context.Context, src, dir, version string) (build, error) {
	out := filepath.Join(dir, "bin", "quote-api-"+version)
	cmd := exec.CommandContext(ctx, "go", "build", "-ldflags", "-X main.version="+version, "-o", out, "./cmd/quote-api")
	cmd.Dir = src
	if b, err := cmd.CombinedOutput(); err != nil {
		return build{}, fmt.Errorf("build quote-api %s in %s: %v\n%s", version, src, err, b)
	}
	f, err := os.Open(out)
	if err != nil {
		return build{}, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return build{}, err
	}
	return build{version: version, path: out, digest: fmt.Sprintf("sha256:%x", h.Sum(nil))}, nil
}

// copyTree copies the files of src over dst, skipping the top-level entry skip.
func copyTree(src, dst, skip string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if rel == skip || strings.HasPrefix(rel, skip+string(filepath.Separator)) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// loadStats summarise /proc/loadavg's 1-minute figure sampled during the runs.
type loadStats struct {
	n              int
	min, mean, max float64
}

// sampleLoad samples the load average every 5s until ctx is done, then sends the summary.
func sampleLoad(ctx context.Context) <-chan loadStats {
	out := make(chan loadStats, 1)
	go func() {
		var s loadStats
		sum := 0.0
		tick := time.NewTicker(5 * time.Second)
		defer tick.Stop()
		for {
			if b, err := os.ReadFile("/proc/loadavg"); err == nil {
				var v float64
				if _, err := fmt.Sscan(string(b), &v); err == nil {
					if s.n == 0 || v < s.min {
						s.min = v
					}
					s.max = max(s.max, v)
					sum += v
					s.n++
					s.mean = sum / float64(s.n)
				}
			}
			select {
			case <-ctx.Done():
				out <- s
				return
			case <-tick.C:
			}
		}
	}()
	return out
}
