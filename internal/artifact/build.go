package artifact

import (
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// BuildInput says what to build.
type BuildInput struct {
	Service string // image name: lowercase letters, digits and . _ - separators
	Version string // release version, e.g. 1.12.0; stamped as main.version
	Commit  string // git commit hash (7 to 64 hex digits) the source is at

	SourceDir string // a checked-out source tree (has go.mod when Main is built)
	// Main is the main package inside SourceDir, e.g. ./cmd/contract-api.
	// Default "." when Run is empty.
	Main string
	// Run, when set, builds the service instead of go build: a shell command
	// (sh -c) run in SourceDir with SLIPWAY_SERVICE, SLIPWAY_VERSION and
	// SLIPWAY_COMMIT in its environment, its output going to Log, stopped after
	// 30 minutes. It excludes Main and requires Binary.
	Run string
	// Binary is the executable Run produces, relative to SourceDir, e.g.
	// target/release/quote-api. It must be a regular, executable file; the
	// artifact holds it exactly as the Go binary would be held.
	Binary string
	// Created is the fixed build timestamp (the commit time) used for the
	// image config, the layer's file times, the SBOM and the provenance, so
	// that equal inputs give the same digest. Default: the Unix epoch.
	Created time.Time
	Log     io.Writer // progress lines; may be nil
}

var (
	serviceRe = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
	versionRe = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	commitRe  = regexp.MustCompile(`^[0-9a-fA-F]{7,64}$`)
)

// validate reports every problem with in at once.
func (in BuildInput) validate() error {
	var errs []error
	if !serviceRe.MatchString(in.Service) || len(in.Service) > 128 {
		errs = append(errs, fmt.Errorf("service %q: use lowercase letters and digits separated by '.', '_' or '-' (at most 128 characters)", in.Service))
	}
	if !versionRe.MatchString(in.Version) {
		errs = append(errs, fmt.Errorf("version %q: use letters, digits, '.', '_' and '-' (an OCI tag, e.g. 1.12.0)", in.Version))
	}
	if !commitRe.MatchString(in.Commit) {
		errs = append(errs, fmt.Errorf("commit %q: want a git commit hash (7 to 64 hex digits)", in.Commit))
	}
	if in.SourceDir == "" {
		errs = append(errs, errors.New("source directory is empty: set SourceDir to the checked-out module root"))
	}
	if strings.HasPrefix(in.Main, "-") {
		errs = append(errs, fmt.Errorf("main package %q: must be a package path such as ./cmd/%s", in.Main, in.Service))
	}
	switch {
	case in.Run != "" && in.Main != "":
		errs = append(errs, fmt.Errorf("main package %q and build command %q: give one, Main for go build or Run with Binary", in.Main, in.Run))
	case in.Run != "" && in.Binary == "":
		errs = append(errs, fmt.Errorf("build command %q: Binary is empty: name the executable it produces, relative to the source directory", in.Run))
	case in.Run == "" && in.Binary != "":
		errs = append(errs, fmt.Errorf("binary %q: Run is empty: give the command that produces it", in.Binary))
	}
	if in.Binary != "" && !validRelPath(in.Binary) {
		errs = append(errs, fmt.Errorf("binary %q: must be a file path relative to the source directory, inside it", in.Binary))
	}
	return errors.Join(errs...)
}

// Build compiles in.Main into a static binary (or runs in.Run and takes
// in.Binary), packs it into a reproducible OCI image, writes its SBOM and
// vulnerability report, signs its digest and records it in the store. A
// binary without Go build information gets an SBOM of what can be known (its
// hash, format and platform, how it was built) and a report that says it was
// not scanned. Building the same inputs again returns the stored
// artifact. A different digest for a service and version that already exist
// is refused with ErrVersionExists.
func (s *Store) Build(ctx context.Context, in BuildInput) (Artifact, error) {
	if in.Main == "" && in.Run == "" {
		in.Main = "."
	}
	if in.Created.IsZero() {
		in.Created = time.Unix(0, 0)
	}
	in.Created = in.Created.UTC().Truncate(time.Second)
	if err := in.validate(); err != nil {
		return Artifact{}, fmt.Errorf("build artifact: %w", err)
	}
	logf := func(format string, args ...any) {
		if in.Log != nil {
			fmt.Fprintf(in.Log, "artifact: "+format+"\n", args...)
		}
	}

	work, err := os.MkdirTemp(s.path("artifacts"), ".build-")
	if err != nil {
		return Artifact{}, fmt.Errorf("build %s %s: %w", in.Service, in.Version, err)
	}
	defer os.RemoveAll(work)

	binPath := filepath.Join(work, in.Service)
	var info *buildinfo.BuildInfo // nil for a binary that is not Go
	if in.Run != "" {
		if err := runBuild(ctx, in, binPath, in.Log); err != nil {
			return Artifact{}, fmt.Errorf("build %s %s: %w", in.Service, in.Version, err)
		}
		info, _ = buildinfo.ReadFile(binPath) // a Go binary keeps its modules in the SBOM and scan
	} else {
		if err := compile(ctx, s.goBin, in, binPath, in.Log); err != nil {
			return Artifact{}, err
		}
		if info, err = buildinfo.ReadFile(binPath); err != nil {
			return Artifact{}, fmt.Errorf("build %s %s: read build info: %w", in.Service, in.Version, err)
		}
	}
	bin, err := os.ReadFile(binPath)
	if err != nil {
		return Artifact{}, fmt.Errorf("build %s %s: %w", in.Service, in.Version, err)
	}
	goos, goarch, format, goVersion := "", "", "go", ""
	if info != nil {
		goos, goarch, goVersion = setting(info, "GOOS"), setting(info, "GOARCH"), info.GoVersion
	}
	if goos == "" || goarch == "" {
		goos, goarch, format = platform(binPath)
	}
	img, err := buildImage(imageSpec{
		service: in.Service, version: in.Version, commit: in.Commit, created: in.Created,
		goos: goos, goarch: goarch, binary: bin,
	})
	if err != nil {
		return Artifact{}, fmt.Errorf("build %s %s: %w", in.Service, in.Version, err)
	}
	h, err := img.Digest()
	if err != nil {
		return Artifact{}, fmt.Errorf("build %s %s: %w", in.Service, in.Version, err)
	}
	d := digest{hex: h.Hex}
	logf("built %s %s %s (%s, 1 layer)", in.Service, in.Version, d, humanSize(int64(len(bin))))

	if a, err := s.get(d); err == nil && a.Service == in.Service && a.Version == in.Version {
		logf("%s %s already stored as %s", in.Service, in.Version, d)
		return a, nil
	}

	sbom, components, err := makeSBOM(sbomInput{service: in.Service, version: in.Version, commit: in.Commit, digest: d, created: in.Created,
		info: info, run: in.Run, binary: in.Binary, format: format, goos: goos, goarch: goarch, sha256: sha256Hex(bin)})
	if err != nil {
		return Artifact{}, fmt.Errorf("build %s %s: %w", in.Service, in.Version, err)
	}
	logf("sbom %d components", components)

	var report Report
	if info != nil {
		if report, err = s.scanBinary(ctx, binPath); err != nil {
			return Artifact{}, fmt.Errorf("build %s %s: %w", in.Service, in.Version, err)
		}
		logf("scan %d vulnerabilities (%s)", len(report.Findings), report.DB)
	} else {
		report = notScanned(in.Binary, format)
		logf("scan skipped: %s", report.Note)
	}

	prov, err := provenance(in, d, goVersion)
	if err != nil {
		return Artifact{}, fmt.Errorf("build %s %s: %w", in.Service, in.Version, err)
	}
	rec := record{
		Service: in.Service, Version: in.Version, Commit: in.Commit, Digest: d.String(),
		Created: in.Created, Components: components, Vulnerabilities: len(report.Findings), Size: int64(len(bin)),
	}
	a, err := s.commit(ctx, img, d, rec, work, sbom, report, prov)
	if err != nil {
		return Artifact{}, fmt.Errorf("build %s %s: %w", in.Service, in.Version, err)
	}
	logf("signed %s and its scan report with key %s", a.Ref, a.Key)
	return a, nil
}

// commit stores a built artifact: the image and its attachments go into the
// layout, the per-digest files are written to a scratch directory that is
// renamed into place last, so Get never sees half an artifact.
func (s *Store) commit(ctx context.Context, img v1.Image, d digest, rec record, work string, sbom []byte, report Report, prov []byte) (Artifact, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	unlock, err := lockFile(s.path(".lock"))
	if err != nil {
		return Artifact{}, err
	}
	defer unlock()
	if err := ctx.Err(); err != nil {
		return Artifact{}, err
	}
	ref := rec.Service + ":" + rec.Version
	if old, err := s.refDigest(ref); err != nil {
		return Artifact{}, err
	} else if old != "" && old != d.String() {
		if od, err := parseDigest(old); err == nil {
			if _, err := s.get(od); err == nil {
				return Artifact{}, fmt.Errorf("%w: %s is %s; this build gives %s (versions are immutable: release a new version)", ErrVersionExists, ref, old, d)
			}
		}
	}

	signer, err := s.signerLocked()
	if err != nil {
		return Artifact{}, err
	}
	keyID, err := Fingerprint(signer.PublicKey())
	if err != nil {
		return Artifact{}, fmt.Errorf("signing key: %w", err)
	}
	payloadJSON, err := signingPayload(rec.Service, rec.Version, rec.Commit, d, sbom, prov, keyID)
	if err != nil {
		return Artifact{}, err
	}
	sig, err := signer.Sign(ctx, payloadJSON)
	if err != nil {
		return Artifact{}, err
	}
	sigB64 := base64.StdEncoding.EncodeToString(sig)
	reportJSON, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return Artifact{}, fmt.Errorf("encode scan report: %w", err)
	}
	reportJSON = append(reportJSON, '\n')
	statement, err := scanEnvelope(ctx, signer, rec.Service, d, reportJSON, report)
	if err != nil {
		return Artifact{}, err
	}
	recJSON, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return Artifact{}, fmt.Errorf("encode artifact record: %w", err)
	}

	stage := filepath.Join(work, "meta")
	if err := os.Mkdir(stage, 0o755); err != nil {
		return Artifact{}, err
	}
	files := []struct {
		name string
		data []byte
	}{
		{fileSBOM, sbom},
		{fileScan, reportJSON},
		{fileScanStatement, statement},
		{filePayload, payloadJSON},
		{fileSignature, []byte(sigB64 + "\n")},
		{fileProvenance, prov},
		{fileRecord, append(recJSON, '\n')},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(stage, f.name), f.data, 0o644); err != nil {
			return Artifact{}, fmt.Errorf("write %s: %w", f.name, err)
		}
	}

	if err := putImage(s.oci, img, ref); err != nil {
		return Artifact{}, fmt.Errorf("write image to %s: %w", s.oci, err)
	}
	sbomImg, err := attachment(sbom, cycloneDXType, nil)
	if err != nil {
		return Artifact{}, fmt.Errorf("sbom attachment: %w", err)
	}
	if err := putImage(s.oci, sbomImg, rec.Service+":"+d.tag("sbom")); err != nil {
		return Artifact{}, fmt.Errorf("write sbom attachment: %w", err)
	}
	sigImg, err := attachment(payloadJSON, simpleSigningType, map[string]string{cosignSigKey: sigB64})
	if err != nil {
		return Artifact{}, fmt.Errorf("signature attachment: %w", err)
	}
	if err := putImage(s.oci, sigImg, rec.Service+":"+d.tag("sig")); err != nil {
		return Artifact{}, fmt.Errorf("write signature attachment: %w", err)
	}

	final := s.artifactDir(d)
	if err := os.RemoveAll(final); err != nil { // left over from an interrupted build
		return Artifact{}, err
	}
	if err := os.Rename(stage, final); err != nil {
		return Artifact{}, fmt.Errorf("store artifact files: %w", err)
	}
	a := s.fromRecord(rec, final)
	a.Key = keyID
	return a, nil
}

// refDigest returns the digest the layout's index names ref with, or "".
func (s *Store) refDigest(ref string) (string, error) {
	idx, err := s.oci.ImageIndex()
	if err != nil {
		return "", fmt.Errorf("read layout index: %w", err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return "", fmt.Errorf("read layout index: %w", err)
	}
	for _, desc := range m.Manifests {
		if desc.Annotations[refNameKey] == ref {
			return desc.Digest.String(), nil
		}
	}
	return "", nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func setting(info *buildinfo.BuildInfo, key string) string {
	for _, s := range info.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
