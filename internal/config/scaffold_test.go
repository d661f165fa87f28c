package config

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// repo makes a git repository in a temporary directory holding files.
func repo(t *testing.T, name string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	return dir
}

const (
	serverGo = `package httpapi

import "net/http"

func New() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/quotes", nil)
	mux.HandleFunc("GET /health/live", nil)
	mux.HandleFunc("GET /health/ready", nil)
	return mux
}
`
	mainGo = "package main\n\nfunc main() {}\n"
)

// goService is a Go service with cmd/<name>/main.go and a /health/ready route.
func goService(t *testing.T) string {
	return repo(t, "quotes", map[string]string{
		"go.mod":                      "module example.com/acme/quote-api\n\ngo 1.22\n",
		"cmd/quote-api/main.go":       mainGo,
		"internal/httpapi/server.go":  serverGo,
		"internal/httpapi/x_test.go":  "package httpapi\n\nimport \"net/http\"\n\nfunc init() { http.HandleFunc(\"/healthz\", nil) }\n",
		"vendor/other/main.go":        mainGo,
		"testdata/fixture/main.go":    mainGo,
		".hidden/main.go":             mainGo,
		"_old/main.go":                mainGo,
		"internal/broken/broken.go":   "package broken\n\nfunc {",
		"internal/notmain/notmain.go": "package notmain\n\nfunc main() {}\n",
	})
}

func TestInitGoService(t *testing.T) {
	dir := goService(t)
	s, err := Init(InitOptions{Dir: dir})
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	want := Scaffold{Service: "quote-api", Main: "./cmd/quote-api", Health: "/health/ready", HealthAt: "internal/httpapi/server.go:9",
		Go: true, Path: filepath.Join(dir, "slipway.yaml"), Gitignore: filepath.Join(dir, ".gitignore"), GitignoreAdded: true}
	if diff := cmp.Diff(want, s, cmpIgnoreYAML); diff != "" {
		t.Errorf("Init (-want +got):\n%s", diff)
	}
	written, err := os.ReadFile(s.Path)
	if err != nil || !bytes.Equal(written, s.YAML) {
		t.Fatalf("slipway.yaml on disk differs from Scaffold.YAML (%v)", err)
	}
	golden(t, filepath.Join("testdata", "init", "go-service.yaml"), written)
	c, err := Load(s.Path)
	if err != nil {
		t.Fatalf("Load(written): %v", err)
	}
	if prod, _ := c.Env("prod"); prod == nil || prod.Promotion != "manual" || prod.Rollout.Bake.D() != defaultBake.D() {
		t.Errorf("prod = %+v, want a manual promotion with the default bake", prod)
	}
	if got := readFile(t, s.Gitignore); got != "# Slipway's local state: store, checkouts, logs\n.slipway/\n" {
		t.Errorf(".gitignore = %q, want .slipway/ added", got)
	}
}

func TestInitTwoMains(t *testing.T) {
	dir := repo(t, "billing", map[string]string{
		"go.mod":                "module github.com/acme/billing/v2\n",
		"cmd/migrate/main.go":   mainGo,
		"cmd/billing/main.go":   mainGo,
		"cmd/billing/routes.go": "package main\n\nimport \"github.com/go-chi/chi/v5\"\n\nfunc routes(r chi.Router) { r.Get(\"/readyz\", nil); r.Get(\"/livez\", nil) }\n",
	})
	s, err := Init(InitOptions{Dir: dir})
	if err != nil {
		t.Fatalf("Init: %v", err)
	}
	if s.Service != "billing" || s.Main != "./cmd/billing" || s.Health != "/readyz" || !cmp.Equal(s.OtherMains, []string{"./cmd/migrate"}) {
		t.Errorf("Init = service %q main %q health %q others %v; want billing ./cmd/billing /readyz [./cmd/migrate]", s.Service, s.Main, s.Health, s.OtherMains)
	}
	if !strings.Contains(string(s.YAML), "main: ./cmd/billing    # also found, not built: ./cmd/migrate\n") {
		t.Errorf("slipway.yaml does not list the other main package:\n%s", s.YAML)
	}

	// Without a main matching the service, the first main is built.
	dir = repo(t, "tools", map[string]string{"go.mod": "module tools\n", "cmd/b/main.go": mainGo, "cmd/a/main.go": mainGo})
	if s, err := Init(InitOptions{Dir: dir, Health: "/up"}); err != nil || s.Main != "./cmd/a" || s.Health != "/up" || s.HealthAt != "" {
		t.Errorf("Init(tools) = main %q health %q at %q (%v); want ./cmd/a, /up as given", s.Main, s.Health, s.HealthAt, err)
	}
}

func TestInitNeverOverwrites(t *testing.T) {
	dir := goService(t)
	existing := "service: mine\n# hand-written\n"
	if err := os.WriteFile(filepath.Join(dir, "slipway.yaml"), []byte(existing), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Init(InitOptions{Dir: dir})
	want := "slipway.yaml already exists at " + filepath.Join(dir, "slipway.yaml") + ": init never overwrites it; edit it, or remove it and run init again"
	if !errors.Is(err, ErrExists) || err.Error() != want {
		t.Errorf("Init over an existing slipway.yaml = %v, want %q", err, want)
	}
	if got := readFile(t, filepath.Join(dir, "slipway.yaml")); got != existing {
		t.Errorf("slipway.yaml changed to %q", got)
	}
	if _, err := os.Stat(filepath.Join(dir, ".gitignore")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf(".gitignore written although init refused (%v)", err)
	}
}

func TestInitGitignoreOnce(t *testing.T) {
	tests := []struct{ name, before, after string }{
		{"appended", "bin/", "bin/\n# Slipway's local state: store, checkouts, logs\n.slipway/\n"},
		{"already there", "bin/\n.slipway/\n", "bin/\n.slipway/\n"},
		{"already there without slash", "/.slipway\n", "/.slipway\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := goService(t)
			ignore := filepath.Join(dir, ".gitignore")
			if err := os.WriteFile(ignore, []byte(tt.before), 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := Init(InitOptions{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, ignore); got != tt.after || s.GitignoreAdded != (tt.before != tt.after) {
				t.Errorf(".gitignore = %q (added %v), want %q", got, s.GitignoreAdded, tt.after)
			}
		})
	}
}

func TestInitRunBinary(t *testing.T) {
	dir := repo(t, "Rust_Service", map[string]string{"Cargo.toml": "[package]\nname = \"rust-service\"\n", "src/main.rs": "fn main() {}\n"})
	s, err := Init(InitOptions{Dir: dir, Run: "cargo build --release", Binary: "target/release/rust-service"})
	if err != nil {
		t.Fatalf("Init(--run --binary): %v", err)
	}
	if s.Service != "rust-service" || s.Main != "" || s.Go || s.Health != "/healthz" {
		t.Errorf("Init = service %q main %q go %v health %q; want rust-service built by its command, health /healthz", s.Service, s.Main, s.Go, s.Health)
	}
	golden(t, filepath.Join("testdata", "init", "run-binary.yaml"), s.YAML)
	c, err := Load(s.Path)
	if err != nil {
		t.Fatalf("Load(written): %v", err)
	}
	if c.Build.Run != "cargo build --release" || c.Build.Binary != "target/release/rust-service" {
		t.Errorf("build = %+v, want the command and binary given", c.Build)
	}
}

func TestInitErrors(t *testing.T) {
	notGo := func(t *testing.T) string { return repo(t, "site", map[string]string{"index.html": "<h1>hi</h1>\n"}) }
	tests := []struct {
		name string
		opts InitOptions
		want []string
	}{
		{"no Go main and no --run", InitOptions{}, []string{"no Go main package found", "package main with a func main", "--run 'make dist' --binary dist/site"}},
		{"run without binary", InitOptions{Run: "make"}, []string{"--run and --binary go together"}},
		{"main and run", InitOptions{Main: "./cmd/x", Run: "make", Binary: "out/x"}, []string{"--main and --run exclude each other"}},
		{"binary outside", InitOptions{Run: "make", Binary: "../x"}, []string{`--binary: binary "../x" must name a file inside the repository`}},
		{"bad service", InitOptions{Service: "My Site", Run: "make", Binary: "out/x"}, []string{`--service "My Site" must be lower-case`}},
		{"bad health", InitOptions{Health: "healthz", Run: "make", Binary: "out/x"}, []string{`--health "healthz" must be a path starting with /`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := notGo(t)
			tt.opts.Dir = dir
			_, err := Init(tt.opts)
			if err == nil {
				t.Fatal("Init succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Init error = %q, want it to contain %q", err, w)
				}
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name() == "slipway.yaml" || e.Name() == ".gitignore" {
					t.Errorf("Init wrote %s although it failed", e.Name())
				}
			}
		})
	}
}

func TestSanitizeName(t *testing.T) {
	tests := map[string]string{"Quote_API": "quote-api", "billing": "billing", "9lives": "lives", "--x--y--": "x-y", "ÄÖ": "", "a.b.c": "a-b-c"}
	for in, want := range tests {
		if got := sanitizeName(in); got != want {
			t.Errorf("sanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
	if got := serviceName("github.com/acme/billing/v2", "/tmp/x"); got != "billing" {
		t.Errorf("serviceName(.../billing/v2) = %q, want billing", got)
	}
}

var cmpIgnoreYAML = cmp.FilterPath(func(p cmp.Path) bool { return p.String() == "YAML" }, cmp.Ignore())

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// golden compares got with the file at path, rewriting it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run go test ./internal/config -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got); run go test ./internal/config -update and review:\n%s", path, diff)
	}
}
