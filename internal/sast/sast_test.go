package sast_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/slipway/slipway/internal/sast"
)

func writeModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	files["go.mod"] = "module example.com/insecure\n\ngo 1.26\n"
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const insecure = `package store

import (
	"crypto/md5"
	"database/sql"
	"fmt"
	"math/rand"
	"net/http"
)

const dbPassword = "f62e5bcda4fae4f82370da0c6f20697b8f8447ef"

// Token makes a session token.
func Token() string { return fmt.Sprint(rand.Int63()) }

// Sum fingerprints data.
func Sum(b []byte) [16]byte { return md5.Sum(b) }

// Find looks a contract up.
func Find(db *sql.DB, id string) (*sql.Rows, error) {
	rows, err := db.Query("SELECT * FROM contracts WHERE id = '" + id + "'")
	return rows, err
}

// Serve serves without timeouts.
func Serve(h http.Handler) error { return http.ListenAndServe(":8080", h) }
`

const clean = `package domain

import "crypto/rand"

// Token makes a secret token.
func Token() ([]byte, error) {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	return b, err
}
`

func rulesOf(fs []sast.Finding, file string) []string {
	var out []string
	for _, f := range fs {
		if f.File == file {
			out = append(out, f.Rule)
		}
	}
	return out
}

func TestScan(t *testing.T) {
	dir := writeModule(t, map[string]string{
		"store/store.go":         insecure,
		"domain/domain.go":       clean,
		"domain/domain_test.go":  "package domain\n\nconst apiKey = \"AKIAIOSFODNN7EXAMPLE-secret\"\n",
		"domain/testdata/bad.go": insecure,
		"silenced/silenced.go":   "package silenced\n\nimport \"crypto/md5\" // #nosec G501 -- checksums only, not security\n\n// Sum fingerprints.\nfunc Sum(b []byte) [16]byte {\n\treturn md5.Sum(b) // #nosec G401 -- checksums only\n}\n",
	})
	got, err := sast.Scan(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range []string{"G101", "G401", "G404", "G501", "G202", "G114"} {
		if !slicesContains(rulesOf(got, "store/store.go"), rule) {
			t.Errorf("Scan found %v in store/store.go, want %s among them; all findings:\n%v", rulesOf(got, "store/store.go"), rule, got)
		}
	}
	for _, f := range got {
		if f.File != "store/store.go" {
			t.Errorf("unexpected finding outside store/store.go: %v", f)
		}
		if f.Line <= 0 || f.Col <= 0 || f.Message == "" || f.Severity == "" {
			t.Errorf("finding without position or message: %+v", f)
		}
	}
	var md5Line int
	for _, f := range got {
		if f.Rule == "G501" {
			md5Line = f.Line
		}
	}
	if md5Line != 4 {
		t.Errorf("G501 (crypto/md5 import) at line %d, want 4", md5Line)
	}

	// A pattern narrows the scan.
	narrow, err := sast.Scan(context.Background(), dir, []string{"./domain/..."})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]sast.Finding{}, narrow); diff != "" {
		t.Errorf("Scan(./domain/...) mismatch (-want +got):\n%s", diff)
	}
}

func slicesContains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestScanBadInput(t *testing.T) {
	dir := writeModule(t, map[string]string{"a/a.go": "package a\n\nfunc A() int { return \"not an int\" }\n", "b/b.go": insecure})
	got, err := sast.Scan(context.Background(), dir, nil)
	if !errors.Is(err, sast.ErrIncomplete) {
		t.Errorf("Scan of a module that does not compile: error = %v, want ErrIncomplete", err)
	}
	if len(rulesOf(got, "b/b.go")) == 0 {
		t.Errorf("Scan did not report the compiling package's findings along with the error: %v", got)
	}
	tests := []struct {
		name     string
		dir      string
		patterns []string
		want     string
	}{
		{"missing pattern dir", dir, []string{"./nope/..."}, "not a directory"},
		{"no module", t.TempDir(), nil, "not inside a Go module"},
	}
	for _, tt := range tests {
		_, err := sast.Scan(context.Background(), tt.dir, tt.patterns)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Scan error = %v, want it to contain %q", tt.name, err, tt.want)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := sast.Scan(ctx, dir, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("Scan with a cancelled context: error = %v, want context.Canceled", err)
	}
}
