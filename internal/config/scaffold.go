package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/template"
)

// InitOptions says where [Init] writes slipway.yaml and what it need not find.
type InitOptions struct {
	// Dir is the service's repository. Default: the current directory.
	Dir string
	// Service names the service. Default: the Go module path's last element, else
	// the directory's name, sanitised to lower-case letters, digits and dashes.
	Service string
	// Main is the Go main package to build. Default: the one found, preferring
	// ./cmd/<service> when there are several.
	Main string
	// Health is the readiness path. Default: the health route found in the Go
	// sources, else /healthz.
	Health string
	// Run and Binary build a service in any language (given together); then no Go
	// main package is looked for.
	Run, Binary string
}

// Scaffold is what [Init] found and wrote.
type Scaffold struct {
	Service string
	// Main is the Go main package built; empty when Run builds the service.
	Main string
	// OtherMains are the other main packages found, left out of the artifact.
	OtherMains  []string
	Run, Binary string
	Health      string
	// HealthAt is where the health route is registered (file:line); empty when the
	// path was given or is the default.
	HealthAt string
	// Go is set when the repository is a Go module: the pipelines run go build,
	// go test and go vet.
	Go bool
	// Path is the slipway.yaml written; Gitignore the .gitignore, and
	// GitignoreAdded whether .slipway/ was added to it.
	Path, Gitignore string
	GitignoreAdded  bool
	// YAML is the content written to Path.
	YAML []byte
}

// ErrExists is returned by [Init] when slipway.yaml is already there.
var ErrExists = errors.New("slipway.yaml already exists")

// Init writes a commented slipway.yaml for the service in opts.Dir: it finds the
// Go main package and the health route (unless told), fills in pipelines and
// environments with Slipway's defaults, validates the result with [Parse], writes
// it, and adds .slipway/ to .gitignore. It never overwrites an existing
// slipway.yaml, and writes nothing when the result does not validate.
func Init(opts InitOptions) (Scaffold, error) {
	dir := opts.Dir
	if dir == "" {
		dir = "."
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return Scaffold{}, fmt.Errorf("init %s: not a directory: run init in the service's repository, or give --dir", dir)
	}
	target := filepath.Join(dir, "slipway.yaml")
	if _, err := os.Lstat(target); err == nil {
		return Scaffold{}, fmt.Errorf("%w at %s: init never overwrites it; edit it, or remove it and run init again", ErrExists, target)
	}
	s, err := detect(dir, opts)
	if err != nil {
		return Scaffold{}, err
	}
	if s.YAML, err = s.Render(); err != nil {
		return Scaffold{}, err
	}
	if _, err := Parse("slipway.yaml", s.YAML); err != nil {
		return Scaffold{}, fmt.Errorf("init %s: the generated slipway.yaml does not validate, nothing was written:\n%w", dir, err)
	}
	s.Gitignore = filepath.Join(dir, ".gitignore")
	ignore, add, err := gitignoreWith(s.Gitignore, ".slipway/")
	if err != nil {
		return Scaffold{}, fmt.Errorf("init %s: %w", dir, err)
	}
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return Scaffold{}, fmt.Errorf("%w at %s: init never overwrites it; edit it, or remove it and run init again", ErrExists, target)
	}
	if err != nil {
		return Scaffold{}, fmt.Errorf("init %s: %w", dir, err)
	}
	_, err = f.Write(s.YAML)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && add {
		err = os.WriteFile(s.Gitignore, ignore, 0o644)
	}
	if err != nil {
		os.Remove(target) // never leave half of what init writes
		return Scaffold{}, fmt.Errorf("init %s: %w", dir, err)
	}
	s.Path, s.GitignoreAdded = target, add
	return s, nil
}

// detect fills a Scaffold from the options and the repository's Go sources.
func detect(dir string, opts InitOptions) (Scaffold, error) {
	s := Scaffold{Service: opts.Service, Main: opts.Main, Run: opts.Run, Binary: opts.Binary, Health: opts.Health}
	switch {
	case (opts.Run == "") != (opts.Binary == ""):
		return Scaffold{}, errors.New("--run and --binary go together: the build command and the executable it produces, e.g. --run 'cargo build --release' --binary target/release/app")
	case opts.Run != "" && opts.Main != "":
		return Scaffold{}, errors.New("--main and --run exclude each other: give --main for a Go main package, or --run with --binary for any other build")
	case opts.Binary != "":
		if msg := binaryProblem(opts.Binary); msg != "" {
			return Scaffold{}, fmt.Errorf("--binary: %s", msg)
		}
	}
	if opts.Health != "" && !strings.HasPrefix(opts.Health, "/") {
		return Scaffold{}, fmt.Errorf("--health %q must be a path starting with /, e.g. /healthz", opts.Health)
	}
	module := modulePath(dir)
	s.Go = module != ""
	if s.Service == "" {
		s.Service = serviceName(module, dir)
	} else if !namePattern.MatchString(s.Service) || len(s.Service) > 63 {
		return Scaffold{}, fmt.Errorf("--service %q must be lower-case letters, digits and single dashes, start with a letter and be at most 63 characters", s.Service)
	}
	tree, err := scanGo(dir)
	if err != nil {
		return Scaffold{}, err
	}
	if s.Run == "" && s.Main == "" && len(tree.mains) == 0 {
		return Scaffold{}, fmt.Errorf("init %s: no Go main package found (looked for .go files in package main with a func main, skipping vendor, testdata, hidden and _ directories): "+
			"for a Go service give --main ./cmd/NAME; for any other language give the build command and the executable it makes, e.g. --run 'make dist' --binary dist/%s", dir, cmp.Or(s.Service, "NAME"))
	}
	if s.Service == "" {
		return Scaffold{}, fmt.Errorf("init %s: no service name can be made from the module path or the directory name: give --service", dir)
	}
	if s.Run == "" && s.Main == "" {
		s.Main = pickMain(tree.mains, s.Service)
	}
	for _, m := range tree.mains {
		if m != s.Main {
			s.OtherMains = append(s.OtherMains, m)
		}
	}
	if s.Health == "" {
		s.Health = defaultHealth
		if len(tree.routes) > 0 {
			s.Health, s.HealthAt = tree.routes[0].Path, tree.routes[0].At
		}
	}
	return s, nil
}

// gitignoreWith returns the content of the .gitignore at path with line added,
// and whether it had to be added: the file is created when missing, and a line
// already there (also as /line or without the trailing slash) is not repeated.
func gitignoreWith(path, line string) ([]byte, bool, error) {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	bare := strings.Trim(line, "/")
	for l := range strings.SplitSeq(string(old), "\n") {
		if strings.Trim(strings.TrimSpace(l), "/") == bare {
			return old, false, nil
		}
	}
	out := append([]byte(nil), old...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, '\n')
	}
	out = append(out, "# Slipway's local state: store, checkouts, logs\n"+line+"\n"...)
	return out, true, nil
}

// Render writes s as a commented slipway.yaml with Slipway's defaults.
func (s Scaffold) Render() ([]byte, error) {
	var b bytes.Buffer
	if err := scaffoldTemplate.Execute(&b, s); err != nil {
		return nil, fmt.Errorf("render slipway.yaml: %w", err)
	}
	return b.Bytes(), nil
}

// quote writes a YAML double-quoted scalar.
func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`).Replace(s) + `"`
}

var scaffoldTemplate = template.Must(template.New("slipway.yaml").Funcs(template.FuncMap{"q": quote}).Parse(scaffoldText))
