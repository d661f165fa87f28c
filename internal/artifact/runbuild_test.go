package artifact

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// scriptInput builds a shell-script "service" whose build command bakes the version
// and commit in, as any language's build would.
func scriptInput(src string, log io.Writer) BuildInput {
	return BuildInput{
		Service: "quote", Version: "2.0.0", Commit: testCommit, SourceDir: src, Created: testCreated, Log: log,
		Run:    `mkdir -p out && printf '#!/bin/sh\necho "quote %s %s"\n' "$SLIPWAY_VERSION" "$SLIPWAY_COMMIT" > out/quote && chmod +x out/quote && echo built out/quote`,
		Binary: "out/quote",
	}
}

func TestBuildRunScript(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	a, err := s.Build(ctx, scriptInput(t.TempDir(), &log))
	if err != nil {
		t.Fatalf("Build(run): %v\n%s", err, log.String())
	}
	mustContain(t, "build log", log.String(), "artifact: run ", "built out/quote\n", "artifact: sbom 1 components", "artifact: scan skipped: out/quote (script) has no Go build information", "artifact: signed quote:2.0.0@")
	if a.Components != 1 || a.Vulnerabilities != 0 {
		t.Errorf("Components, Vulnerabilities = %d, %d; want 1 (the binary itself), 0", a.Components, a.Vulnerabilities)
	}
	if err := s.Verify(ctx, a.Digest); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	bin, err := s.Extract(ctx, a.Digest, filepath.Join(t.TempDir(), "run"), Policy{})
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	out, err := exec.CommandContext(ctx, bin).CombinedOutput()
	if err != nil {
		t.Fatalf("run extracted %s: %v: %s", bin, err, out)
	}
	if got, want := string(out), "quote 2.0.0 "+testCommit+"\n"; got != want {
		t.Errorf("extracted binary printed %q, want %q (SLIPWAY_VERSION and SLIPWAY_COMMIT seen by the build)", got, want)
	}

	var bom struct {
		Components []struct {
			Type, Name, Version, PURL string
			Hashes                    []struct{ Alg, Content string }
			Properties                []struct{ Name, Value string }
		}
	}
	readJSON(t, a.SBOM, &bom)
	if len(bom.Components) != 1 || bom.Components[0].Name != "quote" || bom.Components[0].Type != "application" || len(bom.Components[0].Hashes) != 1 {
		t.Fatalf("SBOM components = %+v, want the one application with its hash", bom.Components)
	}
	props := map[string]string{}
	for _, p := range bom.Components[0].Properties {
		props[p.Name] = p.Value
	}
	if props["slipway:build:binary"] != "out/quote" || props["slipway:binary:format"] != "script" || !strings.Contains(props["slipway:build:run"], "SLIPWAY_VERSION") {
		t.Errorf("SBOM properties = %v, want the command, the binary and its format", props)
	}
	report, err := ReadReport(a.Scan)
	if err != nil || report.Mode != "none" || report.Note == "" || report.Findings == nil {
		t.Errorf("scan report = %+v (%v), want mode none with a note saying why", report, err)
	}
	var prov struct {
		Predicate struct {
			BuildDefinition struct {
				BuildType          string
				ExternalParameters map[string]string
			}
		}
	}
	readJSON(t, a.Provenance, &prov)
	bd := prov.Predicate.BuildDefinition
	if bd.BuildType != "https://slipway.dev/buildtypes/command/v1" || bd.ExternalParameters["binary"] != "out/quote" {
		t.Errorf("provenance build = %s %v, want the command build type naming the binary", bd.BuildType, bd.ExternalParameters)
	}

	again, err := s.Build(ctx, scriptInput(t.TempDir(), nil))
	if err != nil || again.Digest != a.Digest {
		t.Errorf("rebuild = %s (%v), want the same digest %s", again.Digest, err, a.Digest)
	}
}

// A Go program built by its own command keeps the Go SBOM and the scan.
func TestBuildRunGoBinary(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	in := helloInput(helloSource(t), "1.4.0", nil)
	in.Main = ""
	in.Run = `CGO_ENABLED=0 go build -trimpath -ldflags "-X main.version=$SLIPWAY_VERSION" -o out/app ./cmd/hello`
	in.Binary = "out/app"
	a, err := s.Build(ctx, in)
	if err != nil {
		t.Fatalf("Build(go build via run): %v", err)
	}
	if a.Components != 3 {
		t.Errorf("Components = %d, want 3 (main module, go-cmp, stdlib) read from the Go binary", a.Components)
	}
	if report, err := ReadReport(a.Scan); err != nil || report.Mode != "binary" {
		t.Errorf("scan report mode = %q (%v), want binary: a Go binary is scanned", report.Mode, err)
	}
	bin, err := s.Extract(ctx, a.Digest, filepath.Join(t.TempDir(), "run"), Policy{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(ctx, bin).CombinedOutput()
	if err != nil || string(out) != "hello 1.4.0\n" {
		t.Errorf("extracted binary printed %q (%v), want %q", out, err, "hello 1.4.0\n")
	}
}

func TestBuildRunErrors(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, run, binary, main string
		want                    []string
	}{
		{"command fails", "echo compiling; echo 'error: no such crate' >&2; exit 3", "out/app", "",
			[]string{`build command "echo compiling;`, "exit status 3", "error: no such crate"}},
		{"binary missing", "true", "target/release/app", "",
			[]string{`build command "true"`, "target/release/app does not exist after the command", "build.binary"}},
		{"binary not executable", "mkdir -p out && echo data > out/app", "out/app", "",
			[]string{"out/app is not executable", "chmod +x"}},
		{"binary is a directory", "mkdir -p out/app", "out/app", "",
			[]string{"out/app is not a regular file"}},
		{"no binary", "make", "", "",
			[]string{`build command "make": Binary is empty`}},
		{"binary outside the tree", "make", "../app", "",
			[]string{`binary "../app": must be a file path relative to the source directory`}},
		{"main and run", "make", "out/app", "./cmd/app",
			[]string{`main package "./cmd/app" and build command "make": give one`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			src := t.TempDir()
			_, err := s.Build(ctx, BuildInput{Service: "app", Version: "1.0.0", Commit: testCommit, SourceDir: src,
				Main: tt.main, Run: tt.run, Binary: tt.binary, Log: &log})
			if err == nil {
				t.Fatalf("Build succeeded, want an error")
			}
			mustContain(t, "error", err.Error(), tt.want...)
		})
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
