package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// listedPackage is the part of `go list -json` that AffectedPackages reads.
type listedPackage struct {
	ImportPath   string
	Dir          string
	Deps         []string
	TestImports  []string
	XTestImports []string
	// The package's own files, relative to Dir.
	GoFiles, CgoFiles, TestGoFiles, XTestGoFiles, IgnoredGoFiles []string
	EmbedFiles, TestEmbedFiles, XTestEmbedFiles                  []string
	CFiles, HFiles, SFiles, SysoFiles                            []string
}

func (p listedPackage) files() []string {
	return slices.Concat(p.GoFiles, p.CgoFiles, p.TestGoFiles, p.XTestGoFiles, p.IgnoredGoFiles,
		p.EmbedFiles, p.TestEmbedFiles, p.XTestEmbedFiles, p.CFiles, p.HFiles, p.SFiles, p.SysoFiles)
}

// AffectedPackages returns the Go packages of the module in dir that a change to the
// changed files (slash-separated, relative to dir) can affect, as sorted "./rel"
// patterns usable with go test: the packages owning a changed file (a source, test
// or embedded file, or a file under their testdata directory), every package that depends on those,
// and every package whose tests import any of them. A change to go.mod or go.sum
// affects everything and gives "./...". Files outside any package (README.md) affect
// nothing.
func AffectedPackages(ctx context.Context, dir string, changed []string) ([]string, error) {
	for _, f := range changed {
		if f == "go.mod" || f == "go.sum" || f == "go.work" || f == "go.work.sum" {
			return []string{"./..."}, nil
		}
	}
	pkgs, err := goList(ctx, dir)
	if err != nil {
		return nil, err
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("affected packages in %s: %w", dir, err)
	}
	rel := map[string]string{}   // import path -> slash dir relative to dir
	owner := map[string]string{} // file relative to dir -> import path
	byDir := map[string]string{}
	for _, p := range pkgs {
		r, err := filepath.Rel(absDir, p.Dir)
		if err != nil {
			continue
		}
		r = filepath.ToSlash(r)
		rel[p.ImportPath] = r
		byDir[r] = p.ImportPath
		for _, f := range p.files() {
			owner[path.Join(r, filepath.ToSlash(f))] = p.ImportPath
		}
	}

	direct := map[string]bool{}
	for _, f := range changed {
		f = path.Clean(filepath.ToSlash(f))
		if ip, ok := owner[f]; ok {
			direct[ip] = true
			continue
		}
		// A file under testdata belongs to the package that holds the testdata.
		if segs := strings.Split(path.Dir(f), "/"); slices.Contains(segs, "testdata") {
			d := strings.Join(segs[:slices.Index(segs, "testdata")], "/")
			if d == "" {
				d = "."
			}
			if ip, ok := byDir[d]; ok {
				direct[ip] = true
			}
		}
	}
	affected := map[string]bool{}
	for _, p := range pkgs {
		if direct[p.ImportPath] || slices.ContainsFunc(p.Deps, func(d string) bool { return direct[d] }) {
			affected[p.ImportPath] = true
		}
	}
	for _, p := range pkgs {
		imports := append(slices.Clone(p.TestImports), p.XTestImports...)
		if slices.ContainsFunc(imports, func(d string) bool { return affected[d] }) {
			affected[p.ImportPath] = true
		}
	}
	var out []string
	for ip := range affected {
		r := rel[ip]
		if r == "." {
			out = append(out, ".")
		} else {
			out = append(out, "./"+r)
		}
	}
	slices.Sort(out)
	return out, nil
}

// goList lists the module's packages in dir with their dependencies.
func goList(ctx context.Context, dir string) ([]listedPackage, error) {
	gomod, err := exec.CommandContext(ctx, "go", "-C", dir, "env", "GOMOD").Output()
	if err != nil {
		return nil, fmt.Errorf("affected packages: go env GOMOD in %s: %w", dir, err)
	}
	if m := strings.TrimSpace(string(gomod)); m == "" || m == os.DevNull {
		return nil, fmt.Errorf("affected packages: %s is not in a Go module (no go.mod)", dir)
	}
	cmd := exec.CommandContext(ctx, "go", "list", "-e",
		"-json=ImportPath,Dir,Deps,TestImports,XTestImports,GoFiles,CgoFiles,TestGoFiles,XTestGoFiles,IgnoredGoFiles,EmbedFiles,TestEmbedFiles,XTestEmbedFiles,CFiles,HFiles,SFiles,SysoFiles",
		"./...")
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("affected packages: go list ./... in %s: %w: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(&stdout)
	for {
		var p listedPackage
		err := dec.Decode(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("affected packages: read go list output: %w", err)
		}
		if p.Dir != "" {
			pkgs = append(pkgs, p)
		}
	}
	return pkgs, nil
}
