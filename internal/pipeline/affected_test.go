package pipeline_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/slipway/slipway/internal/pipeline"
)

func TestAffectedPackages(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"go.mod":                 "module example.com/aff\n\ngo 1.26\n",
		"main.go":                "package main\n\nimport \"example.com/aff/b\"\n\nfunc main() { b.B() }\n",
		"a/a.go":                 "package a\n\nfunc A() int { return 1 }\n",
		"a/testdata/case.json":   "{}\n",
		"b/b.go":                 "package b\n\nimport \"example.com/aff/a\"\n\nfunc B() int { return a.A() }\n",
		"c/c.go":                 "package c\n\nfunc C() {}\n",
		"c/c_test.go":            "package c_test\n\nimport (\n\t\"testing\"\n\n\t\"example.com/aff/b\"\n)\n\nfunc TestC(t *testing.T) { b.B() }\n",
		"d/d.go":                 "package d\n\nfunc D() {}\n",
		"d/deeper/testdata/x.go": "package ignored\n",
		"d/deeper/e.go":          "package deeper\n",
		"README.md":              "# aff\n",
	} {
		writeFile(t, dir, name, content)
	}
	tests := []struct {
		changed []string
		want    []string
	}{
		{[]string{"a/a.go"}, []string{".", "./a", "./b", "./c"}},
		{[]string{"a/testdata/case.json"}, []string{".", "./a", "./b", "./c"}},
		{[]string{"c/c_test.go"}, []string{"./c"}},
		{[]string{"d/deeper/testdata/x.go"}, []string{"./d/deeper"}},
		{[]string{"d/d.go", "README.md"}, []string{"./d"}},
		{[]string{"main.go"}, []string{"."}},
		{[]string{"README.md", "docs/x.md"}, nil},
		{[]string{"go.sum"}, []string{"./..."}},
	}
	for _, tt := range tests {
		got, err := pipeline.AffectedPackages(context.Background(), dir, tt.changed)
		if err != nil {
			t.Fatalf("AffectedPackages(%q): %v", tt.changed, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("AffectedPackages(%q) mismatch (-want +got):\n%s", tt.changed, diff)
		}
	}
	if _, err := pipeline.AffectedPackages(context.Background(), t.TempDir(), []string{"a.go"}); err == nil {
		t.Error("AffectedPackages outside a Go module succeeded")
	}
}
