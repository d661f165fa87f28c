package artifact

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestBuildVerifyExtract(t *testing.T) {
	ctx := context.Background()
	s, a, log := sharedBuild(t)

	if !regexp.MustCompile(`^sha256:[0-9a-f]{64}$`).MatchString(a.Digest) {
		t.Fatalf("Digest = %q, want sha256:<hex>", a.Digest)
	}
	if want := "hello:1.2.3@" + a.Digest; a.Ref != want {
		t.Errorf("Ref = %q, want %q", a.Ref, want)
	}
	if a.Components != 3 {
		t.Errorf("Components = %d, want 3 (main module, go-cmp, stdlib)", a.Components)
	}
	if a.Vulnerabilities != 0 {
		t.Errorf("Vulnerabilities = %d with the embedded database, want 0", a.Vulnerabilities)
	}
	if !a.Created.Equal(testCreated) {
		t.Errorf("Created = %v, want %v", a.Created, testCreated)
	}
	for _, p := range []string{a.SBOM, a.Scan, a.Signature, a.Payload, a.Provenance} {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("artifact file %s: stat %v", p, err)
		}
	}
	mustContain(t, "build log", log,
		"artifact: built hello 1.2.3 "+a.Digest+" (",
		"artifact: sbom 3 components",
		"artifact: scan 0 vulnerabilities",
		"artifact: signed hello:1.2.3@"+a.Digest)

	if err := s.Verify(ctx, a.Digest); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	bin, err := s.Extract(ctx, a.Digest, filepath.Join(t.TempDir(), "run"), Policy{})
	if err != nil {
		t.Fatalf("Extract: %v", err)
	}
	fi, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o755 || filepath.Base(bin) != "hello" {
		t.Errorf("extracted %s mode %v, want hello with 0755", bin, fi.Mode().Perm())
	}
	out, err := exec.CommandContext(ctx, bin).CombinedOutput()
	if err != nil {
		t.Fatalf("run extracted binary: %v: %s", err, out)
	}
	if got, want := string(out), "hello 1.2.3\n"; got != want {
		t.Errorf("extracted binary printed %q, want %q (version stamped by -X main.version)", got, want)
	}
	if fi.Size() != a.Size {
		t.Errorf("binary size %d, artifact says %d", fi.Size(), a.Size)
	}
}

func TestImageShape(t *testing.T) {
	s, a, _ := sharedBuild(t)
	d, _ := parseDigest(a.Digest)
	img, err := s.oci.Image(v1.Hash{Algorithm: "sha256", Hex: d.hex})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"/app/hello"}, cfg.Config.Entrypoint); diff != "" {
		t.Errorf("Entrypoint (-want +got):\n%s", diff)
	}
	wantLabels := map[string]string{
		"org.opencontainers.image.title":    "hello",
		"org.opencontainers.image.version":  "1.2.3",
		"org.opencontainers.image.revision": testCommit,
		"org.opencontainers.image.created":  "2026-03-02T11:16:00Z",
	}
	if diff := cmp.Diff(wantLabels, cfg.Config.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if !cfg.Created.Time.Equal(testCreated) || cfg.OS != runtime.GOOS || cfg.Architecture != runtime.GOARCH {
		t.Errorf("config created=%v os=%s arch=%s, want %v %s %s", cfg.Created.Time, cfg.OS, cfg.Architecture, testCreated, runtime.GOOS, runtime.GOARCH)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers = %d (%v), want 1", len(layers), err)
	}

	refs := map[string]bool{}
	idx, _ := s.oci.ImageIndex()
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, desc := range m.Manifests {
		refs[desc.Annotations[refNameKey]] = true
	}
	for _, want := range []string{"hello:1.2.3", "hello:" + d.tag("sig"), "hello:" + d.tag("sbom")} {
		if !refs[want] {
			t.Errorf("layout index has no ref %q (has %v)", want, refs)
		}
	}
}

func TestSBOMComponents(t *testing.T) {
	_, a, _ := sharedBuild(t)
	f, err := os.Open(a.SBOM)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(f, cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatalf("decode SBOM: %v", err)
	}
	type comp struct{ Name, Version, PURL string }
	var got []comp
	for _, c := range *bom.Components {
		got = append(got, comp{c.Name, c.Version, c.PackageURL})
	}
	gov := "v" + strings.TrimPrefix(runtime.Version(), "go")
	want := []comp{
		{"example.com/hello", "v1.2.3", "pkg:golang/example.com/hello@v1.2.3"},
		{"github.com/google/go-cmp", "v0.7.0", "pkg:golang/github.com/google/go-cmp@v0.7.0"},
		{"stdlib", gov, "pkg:golang/stdlib@" + gov},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SBOM components (-want +got):\n%s", diff)
	}
	if bom.Metadata == nil || bom.Metadata.Component == nil || bom.Metadata.Component.Name != "hello" {
		t.Fatalf("SBOM metadata component missing or wrong: %+v", bom.Metadata)
	}
	if got := bom.Metadata.Timestamp; got != "2026-03-02T11:16:00Z" {
		t.Errorf("SBOM timestamp = %q, want the build timestamp", got)
	}
	mustContain(t, "SBOM image purl", bom.Metadata.Component.PackageURL, strings.Replace(a.Digest, ":", "%3A", 1))
}

func TestBuildIsReproducible(t *testing.T) {
	ctx := context.Background()
	_, a, _ := sharedBuild(t)

	other, err := Open(filepath.Join(t.TempDir(), "other"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := other.Build(ctx, helloInput(helloSource(t), "1.2.3", nil))
	if err != nil {
		t.Fatalf("Build in a second store: %v", err)
	}
	if again.Digest != a.Digest {
		t.Errorf("same inputs in another store gave %s, want %s", again.Digest, a.Digest)
	}
	sbom1, _ := os.ReadFile(a.SBOM)
	sbom2, _ := os.ReadFile(again.SBOM)
	if !bytes.Equal(sbom1, sbom2) {
		t.Errorf("same inputs gave different SBOMs")
	}

	next, err := other.Build(ctx, helloInput(helloSource(t), "1.2.4", nil))
	if err != nil {
		t.Fatalf("Build 1.2.4: %v", err)
	}
	if next.Digest == a.Digest {
		t.Errorf("version 1.2.4 has the digest of 1.2.3")
	}
	list, err := other.List(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("List = %d artifacts (%v), want 2", len(list), err)
	}
	got, err := other.Lookup(ctx, "hello", "1.2.4")
	if err != nil || got.Digest != next.Digest {
		t.Errorf("Lookup(hello, 1.2.4) = %s, %v; want %s", got.Digest, err, next.Digest)
	}
}

func TestBuildSameVersionAgain(t *testing.T) {
	ctx := context.Background()
	s, a, _ := sharedBuild(t)
	src := helloSource(t)

	var log bytes.Buffer
	same, err := s.Build(ctx, helloInput(src, "1.2.3", &log))
	if err != nil {
		t.Fatalf("rebuild with same inputs: %v", err)
	}
	if same.Digest != a.Digest {
		t.Errorf("rebuild gave %s, want %s", same.Digest, a.Digest)
	}
	mustContain(t, "rebuild log", log.String(), "already stored")

	main := filepath.Join(src, "cmd", "hello", "main.go")
	b, err := os.ReadFile(main)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(main, bytes.Replace(b, []byte(`"hello"`), []byte(`"hi"`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = s.Build(ctx, helloInput(src, "1.2.3", nil))
	if !errors.Is(err, ErrVersionExists) {
		t.Fatalf("Build(changed source, same version) error = %v, want ErrVersionExists", err)
	}
	if err := s.Verify(ctx, a.Digest); err != nil {
		t.Errorf("the refused build damaged the stored artifact: %v", err)
	}
	if got, err := s.Lookup(ctx, "hello", "1.2.3"); err != nil || got.Digest != a.Digest {
		t.Errorf("Lookup after refused build = %s, %v; want %s", got.Digest, err, a.Digest)
	}
}

func TestConcurrentBuildsShareOneStore(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "store")
	// Two Store values on one directory stand in for two processes.
	stores := make([]*Store, 2)
	for i := range stores {
		s, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		stores[i] = s
	}
	versions := []string{"3.0.0", "3.0.1"}
	srcs := []string{helloSource(t), helloSource(t)}
	errs := make(chan error, len(versions))
	for i, v := range versions {
		go func() {
			_, err := stores[i].Build(ctx, helloInput(srcs[i], v, nil))
			errs <- err
		}()
	}
	for range versions {
		if err := <-errs; err != nil {
			t.Errorf("concurrent Build: %v", err)
		}
	}
	list, err := stores[0].List(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("List = %d artifacts (%v), want 2", len(list), err)
	}
	for _, a := range list {
		if err := stores[1].Verify(ctx, a.Digest); err != nil {
			t.Errorf("Verify(%s): %v", a.Ref, err)
		}
	}
}
