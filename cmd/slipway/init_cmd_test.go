package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/config"
)

func runInitCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newInitCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func initRepo(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := exec.Command("git", "init", "-q", dir).CombinedOutput(); err != nil {
		t.Fatalf("git init: %v\n%s", err, out)
	}
	return dir
}

func TestInitCmd(t *testing.T) {
	dir := initRepo(t, map[string]string{
		"go.mod":                   "module example.com/quote-api\n\ngo 1.22\n",
		"cmd/quote-api/main.go":    "package main\n\nimport \"net/http\"\n\nfunc main() { http.HandleFunc(\"GET /health/ready\", nil) }\n",
		"cmd/quote-admin/main.go":  "package main\n\nfunc main() {}\n",
		"internal/market/price.go": "package market\n",
	})
	out, err := runInitCmd(t, "--dir", dir)
	if err != nil {
		t.Fatalf("slipway init: %v\n%s", err, out)
	}
	for _, want := range []string{
		"main package  ./cmd/quote-api\n",
		"also found    ./cmd/quote-admin (not built",
		"health        /health/ready (found in cmd/quote-api/main.go:5)\n",
		"service       quote-api\n",
		"wrote         " + filepath.Join(dir, "slipway.yaml") + "\n",
		"added         .slipway/ to " + filepath.Join(dir, ".gitignore") + "\n",
		"git add slipway.yaml .gitignore && git commit -m \"chore: add slipway.yaml\"\n  slipway up\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("slipway init output lacks %q:\n%s", want, out)
		}
	}
	if _, err := config.Load(filepath.Join(dir, "slipway.yaml")); err != nil {
		t.Errorf("the written slipway.yaml does not load: %v", err)
	}

	before, _ := os.ReadFile(filepath.Join(dir, "slipway.yaml"))
	if _, err := runInitCmd(t, "--dir", dir); err == nil || !strings.Contains(err.Error(), "init never overwrites it") {
		t.Errorf("second slipway init = %v, want a refusal to overwrite", err)
	}
	if after, _ := os.ReadFile(filepath.Join(dir, "slipway.yaml")); !bytes.Equal(before, after) {
		t.Errorf("second slipway init changed slipway.yaml")
	}
}

func TestInitCmdAnyLanguage(t *testing.T) {
	dir := initRepo(t, map[string]string{"Makefile": "dist:\n\tcc -o dist/app main.c\n"})
	if _, err := runInitCmd(t, "--dir", dir); err == nil || !strings.Contains(err.Error(), "no Go main package found") {
		t.Fatalf("slipway init in a C repository = %v, want an error that names --run and --binary", err)
	}
	out, err := runInitCmd(t, "--dir", dir, "--service", "app", "--run", "make dist", "--binary", "dist/app", "--health", "/ping")
	if err != nil {
		t.Fatalf("slipway init --run --binary: %v", err)
	}
	if !strings.Contains(out, "build         make dist -> dist/app\n") || !strings.Contains(out, "health        /ping (no health route found") {
		t.Errorf("slipway init --run output:\n%s", out)
	}
	c, err := config.Load(filepath.Join(dir, "slipway.yaml"))
	if err != nil || c.Build.Run != "make dist" || c.Build.Binary != "dist/app" || c.Service != "app" {
		t.Errorf("written config = %+v (%v), want service app built by make dist", c, err)
	}
}
