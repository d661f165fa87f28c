package artifact

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBuildRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	src := helloSource(t)
	tests := []struct {
		name   string
		edit   func(*BuildInput)
		want   []string
		noLogs bool
	}{
		{"service with capitals", func(in *BuildInput) { in.Service = "Contract API" }, []string{`service "Contract API"`}, true},
		{"empty version", func(in *BuildInput) { in.Version = "" }, []string{`version ""`}, true},
		{"version with plus", func(in *BuildInput) { in.Version = "1.0.0+meta" }, []string{`version "1.0.0+meta"`}, true},
		{"commit not hex", func(in *BuildInput) { in.Commit = "main" }, []string{`commit "main"`}, true},
		{"flag as main", func(in *BuildInput) { in.Main = "-toolexec=evil" }, []string{`main package "-toolexec=evil"`}, true},
		{"every problem at once", func(in *BuildInput) { in.Service, in.Commit, in.SourceDir = "", "", "" },
			[]string{`service ""`, `commit ""`, "source directory is empty"}, true},
		{"no go.mod", func(in *BuildInput) { in.SourceDir = t.TempDir() }, []string{"has no go.mod"}, true},
		{"unknown main package", func(in *BuildInput) { in.Main = "./cmd/missing" }, []string{"build ./cmd/missing in", "cmd/missing"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(filepath.Join(t.TempDir(), "store"))
			if err != nil {
				t.Fatal(err)
			}
			var log bytes.Buffer
			in := helloInput(src, "1.0.0", &log)
			tt.edit(&in)
			_, err = s.Build(ctx, in)
			if err == nil {
				t.Fatalf("Build(%s) = nil error", tt.name)
			}
			mustContain(t, "error", err.Error(), tt.want...)
			if tt.noLogs && log.Len() != 0 {
				t.Errorf("rejected input still logged %q", log.String())
			}
			list, err := s.List(ctx)
			if err != nil || len(list) != 0 {
				t.Errorf("after a failed build List = %d artifacts (%v), want none", len(list), err)
			}
			entries, _ := os.ReadDir(filepath.Join(s.Dir(), "artifacts"))
			if len(entries) != 0 {
				t.Errorf("failed build left %d entries in artifacts/", len(entries))
			}
		})
	}
}

func TestBuildCompileErrorIsLogged(t *testing.T) {
	src := helloSource(t)
	main := filepath.Join(src, "cmd", "hello", "main.go")
	writeFile(t, main, "package main\n\nfunc main() { undefinedThing() }\n")
	s, err := Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	_, err = s.Build(context.Background(), helloInput(src, "1.0.0", &log))
	if err == nil {
		t.Fatal("Build(broken source) = nil error")
	}
	mustContain(t, "error", err.Error(), "build ./cmd/hello", "main.go:3", "undefinedThing")
	mustContain(t, "log", log.String(), "go build ./cmd/hello failed", "undefinedThing")
}

func TestBuildHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s, err := Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Build(ctx, helloInput(helloSource(t), "1.0.0", nil))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Build(cancelled) = %v, want context.Canceled", err)
	}
}

func TestGetAndVerifyUnknownDigest(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	absent := "sha256:" + strings.Repeat("ab", 32)
	if _, err := s.Get(ctx, absent); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(absent) = %v, want ErrNotFound", err)
	}
	if err := s.Verify(ctx, absent); !errors.Is(err, ErrNotFound) {
		t.Errorf("Verify(absent) = %v, want ErrNotFound", err)
	}
	if _, err := s.Extract(ctx, absent, t.TempDir(), Policy{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Extract(absent) = %v, want ErrNotFound", err)
	}
	if _, err := s.Lookup(ctx, "hello", "1.0.0"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Lookup(absent) = %v, want ErrNotFound", err)
	}
	for _, bad := range []string{"", "abc", "sha256:XYZ", "sha512:" + strings.Repeat("a", 128), "sha256:../../etc/passwd"} {
		_, err := s.Get(ctx, bad)
		if err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "invalid digest") {
			t.Errorf("Get(%q) = %v, want an invalid digest error", bad, err)
		}
	}
}

func TestPURLs(t *testing.T) {
	tests := []struct{ path, version, want string }{
		{"github.com/google/go-cmp", "v0.7.0", "pkg:golang/github.com/google/go-cmp@v0.7.0"},
		{"github.com/BurntSushi/toml", "v1.0.0", "pkg:golang/github.com/BurntSushi/toml@v1.0.0"},
		{"stdlib", "v1.26.8", "pkg:golang/stdlib@v1.26.8"},
		{"example.com/m", "v0.0.0-20200101000000-abcdef123456+incompatible", "pkg:golang/example.com/m@v0.0.0-20200101000000-abcdef123456+incompatible"},
	}
	for _, tt := range tests {
		if got := golangPURL(tt.path, tt.version); got != tt.want {
			t.Errorf("golangPURL(%q, %q) = %q, want %q", tt.path, tt.version, got, tt.want)
		}
	}
	for in, want := range map[string]string{"go1.26.8": "v1.26.8", "go1.26.8 X:boringcrypto": "v1.26.8"} {
		if got := stdlibVersion(in); got != want {
			t.Errorf("stdlibVersion(%q) = %q, want %q", in, got, want)
		}
	}
}
