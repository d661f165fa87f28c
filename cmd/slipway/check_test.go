package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/vcs"
)

func runCheck(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newCheckCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	cmd.SilenceUsage = true
	cmd.SilenceErrors = true
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func specFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "apicheck", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckAPI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	r, err := vcs.Init(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "api", "openapi.yaml")
	if err := os.MkdirAll(filepath.Dir(spec), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(spec, specFile(t, "base.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CommitAll(ctx, "feat: contract api", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if err := r.Tag(ctx, "v1.11.3", "HEAD"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		head    string
		args    []string
		wantErr bool
		want    []string
	}{
		{"optional-fields.yaml", nil, false, []string{"api/openapi.yaml: no breaking changes since v1.11.3 (", "compatible changes)"}},
		{"removed-response-property.yaml", nil, true, []string{"api/openapi.yaml: 2 breaking changes since v1.11.3:", "error   GET /contracts/{id}  response-required-property-removed"}},
		{"required-request-field.yaml", nil, true, []string{"POST /contracts  new-required-request-property"}},
	}
	for _, tt := range tests {
		if err := os.WriteFile(spec, specFile(t, tt.head), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := runCheck(t, append([]string{"api", "--base", "v1.11.3", "--repo", dir, "api/openapi.yaml"}, tt.args...)...)
		if (err != nil) != tt.wantErr {
			t.Errorf("check api with %s: error = %v, want error %v\n%s", tt.head, err, tt.wantErr, out)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("check api with %s: output lacks %q:\n%s", tt.head, w, out)
			}
		}
	}

	// A document that did not exist at the base ref passes.
	if err := os.WriteFile(filepath.Join(dir, "api", "v2.yaml"), specFile(t, "base.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCheck(t, "api", "--base", "v1.11.3", "--repo", dir, "api/v2.yaml")
	if err != nil || !strings.Contains(out, "api/v2.yaml is new since v1.11.3") {
		t.Errorf("check api on a new document: %v\n%s", err, out)
	}
	for _, args := range [][]string{
		{"api", "--repo", dir, "api/openapi.yaml"},
		{"api", "--base", "v9.9.9", "--repo", dir, "api/openapi.yaml"},
		{"api", "--base", "v1.11.3", "--repo", dir, "api/missing.yaml"},
		{"api", "--base", "v1.11.3", "--repo", t.TempDir(), "x.yaml"},
	} {
		if out, err := runCheck(t, args...); err == nil {
			t.Errorf("check %v succeeded:\n%s", args, out)
		}
	}
}

func TestCheckSAST(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"go.mod":         "module example.com/svc\n\ngo 1.26\n",
		"clean/clean.go": "package clean\n\n// Add adds.\nfunc Add(a, b int) int { return a + b }\n",
		"weak/weak.go":   "package weak\n\nimport \"crypto/md5\"\n\n// Sum fingerprints.\nfunc Sum(b []byte) [16]byte { return md5.Sum(b) }\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := runCheck(t, "sast", "--dir", dir)
	if err == nil || !strings.Contains(out, "weak/weak.go:3:8: [G501 medium]") {
		t.Errorf("check sast on weak crypto: error = %v\n%s", err, out)
	}
	out, err = runCheck(t, "sast", "--dir", dir, "./clean")
	if err != nil || !strings.Contains(out, "no security findings at medium severity or above (0 below)") {
		t.Errorf("check sast ./clean: error = %v\n%s", err, out)
	}
	if out, err := runCheck(t, "sast", "--dir", dir, "--fail-on", "critical"); err == nil {
		t.Errorf("check sast --fail-on critical succeeded:\n%s", out)
	}
}
