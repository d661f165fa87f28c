package artifact

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/slipway/slipway/internal/config"
)

// Sentinel errors. They are always wrapped with the digest or path concerned.
var (
	// ErrNotFound means the store holds no artifact with the given digest.
	ErrNotFound = errors.New("artifact not found")
	// ErrBadSignature means the artifact's signature is missing, malformed or
	// does not verify with the expected public key.
	ErrBadSignature = errors.New("artifact signature does not verify")
	// ErrCorrupt means stored content does not match the digest that names it
	// (a manifest, config or layer blob was changed or lost).
	ErrCorrupt = errors.New("artifact content does not match its digest")
	// ErrVersionExists means a different digest was already built for the
	// same service and version; versions are immutable.
	ErrVersionExists = errors.New("artifact version already exists")
	// ErrUnsigned means the artifact carries no signature (or no signed scan
	// statement) at all.
	ErrUnsigned = errors.New("artifact is not signed")
	// ErrUntrustedKey means the artifact is signed, by a key the environment's
	// policy does not trust.
	ErrUntrustedKey = errors.New("artifact is signed by a key that is not trusted")
	// ErrScanBinding means the scan report is not the one a trusted key bound
	// to the digest: replaced, edited, copied from another artifact or unsigned.
	ErrScanBinding = errors.New("scan report is not bound to the artifact")
	// ErrVulnerable means the environment's vulnerability gate refuses the
	// artifact's findings.
	ErrVulnerable = errors.New("vulnerability gate refuses the artifact")
	// ErrStaleDB means the scan ran against a vulnerability database older
	// than the environment's gate accepts (max-db-age).
	ErrStaleDB = errors.New("vulnerability database is too old")
	// ErrAttestation means an attestation a registry holds about the artifact
	// (SBOM, provenance) is missing, does not verify with a trusted key, or is
	// about something else.
	ErrAttestation = errors.New("attestation does not verify")
)

// Artifact describes one built, signed artifact.
type Artifact struct {
	Service, Version, Commit string
	Digest                   string    // "sha256:<hex>" of the image manifest
	Ref                      string    // "<service>:<version>@<digest>"
	Created                  time.Time // the fixed build timestamp
	SBOM                     string    // path of the CycloneDX JSON SBOM
	Scan                     string    // path of the vulnerability report JSON
	ScanStatement            string    // path of the signed statement binding Scan to Digest (DSSE)
	Signature                string    // path of the signature (base64, cosign style)
	Payload                  string    // path of the signed simple-signing payload
	Provenance               string    // path of the in-toto provenance statement
	Components               int       // components in the SBOM
	Vulnerabilities          int       // findings in the scan
	Size                     int64     // size of the binary in bytes
	// Key is the fingerprint of the key that signed, when this process built it.
	Key string
}

// record is what the store keeps in artifact.json; paths are derived at read
// time so a store directory can be moved.
type record struct {
	Service         string    `json:"service"`
	Version         string    `json:"version"`
	Commit          string    `json:"commit"`
	Digest          string    `json:"digest"`
	Created         time.Time `json:"created"`
	Components      int       `json:"components"`
	Vulnerabilities int       `json:"vulnerabilities"`
	Size            int64     `json:"size"`
}

// Store keeps artifacts in a directory:
//
//	oci/                     OCI image layout (images, .sig and .sbom tags)
//	artifacts/sha256-<hex>/  artifact.json, sbom.cdx.json, scan.json,
//	                         scan.att.json, payload.json, signature.sig,
//	                         provenance.json
//	.lock                    held while writing
//
// No key lives there: the signing key comes from outside (WithSigner,
// LoadSigner, DefaultSigner), and verification trusts the keys a Policy names,
// or else the signer's public key.
type Store struct {
	dir    string
	oci    layout.Path
	signer Signer // nil: the default key, loaded when first needed
	vulnDB string // OSV database directory; empty means the embedded one
	goBin  string

	mu sync.Mutex // serialises this process's writes; .lock serialises processes
}

// Option configures a Store.
type Option func(*Store)

// WithVulnDB makes scans use the OSV database in dir (the layout govulncheck
// reads with -db file:///dir, or a flat directory of <ID>.json entries)
// instead of the database embedded in Slipway.
func WithVulnDB(dir string) Option { return func(s *Store) { s.vulnDB = dir } }

// WithSigner makes the store sign with sg instead of the default key.
func WithSigner(sg Signer) Option { return func(s *Store) { s.signer = sg } }

// Configure turns slipway.yaml's artifacts section into options: the signing
// key it names (else $SLIPWAY_SIGNING_KEY, else the default key, see
// LoadSigner) and the vulnerability database (else $SLIPWAY_VULNDB, else the
// embedded one).
func Configure(a config.Artifacts) ([]Option, error) {
	var opts []Option
	k, err := LoadSigner(a.SigningKey)
	if err != nil {
		return nil, err
	}
	if k != nil {
		opts = append(opts, WithSigner(k))
	}
	db := a.VulnDB
	if db == "" {
		db = os.Getenv(EnvVulnDB)
	} else if db, err = config.Expand(db); err != nil {
		return nil, fmt.Errorf("artifacts.vulndb %s: %w", a.VulnDB, err)
	}
	if db != "" {
		opts = append(opts, WithVulnDB(db))
	}
	return opts, nil
}

// WithGo sets the go command used to build; the default is "go" from PATH.
func WithGo(path string) Option { return func(s *Store) { s.goBin = path } }

// Open opens (creating if missing) a store rooted at dir: an OCI image layout
// at dir/oci and per-digest files under dir/artifacts. A signing key file
// inside dir is refused: whoever can write the artifacts could replace it.
func Open(dir string, opts ...Option) (*Store, error) {
	if dir == "" {
		return nil, errors.New("open artifact store: empty directory path")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open artifact store %s: %w", dir, err)
	}
	s := &Store{dir: abs, goBin: "go"}
	for _, o := range opts {
		o(s)
	}
	if ks, ok := s.signer.(*KeySigner); ok && ks.path != "" {
		if rel, err := filepath.Rel(abs, ks.path); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			return nil, fmt.Errorf("open artifact store %s: signing key %s lies inside the artifact store: whoever can write artifacts could replace it; keep it elsewhere (artifacts.signing-key, %s)", abs, ks.path, EnvSigningKey)
		}
	}
	for _, d := range []string{abs, s.path("artifacts")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("open artifact store %s: %w", abs, err)
		}
	}
	// Creating the layout must happen once even when two processes open a new
	// store together.
	unlock, err := lockFile(s.path(".lock"))
	if err != nil {
		return nil, fmt.Errorf("open artifact store %s: %w", abs, err)
	}
	defer unlock()
	if s.oci, err = openLayout(s.path("oci")); err != nil {
		return nil, fmt.Errorf("open artifact store %s: %w", abs, err)
	}
	return s, nil
}

// signerOrDefault returns the store's signer, loading (or making) the default
// key the first time.
func (s *Store) signerOrDefault() (Signer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.signerLocked()
}

// signerLocked is signerOrDefault for a caller holding s.mu.
func (s *Store) signerLocked() (Signer, error) {
	if s.signer == nil {
		k, err := DefaultSigner()
		if err != nil {
			return nil, err
		}
		s.signer = k
	}
	return s.signer, nil
}

// PublicKey returns the PEM public key of the key this store signs with (nil
// when it cannot be loaded). It works with `cosign verify --key` and in a
// policy's keys.
func (s *Store) PublicKey() []byte {
	sg, err := s.signerOrDefault()
	if err != nil {
		return nil
	}
	return sg.PublicKey()
}

func openLayout(dir string) (layout.Path, error) {
	if _, err := os.Stat(filepath.Join(dir, "index.json")); err == nil {
		return layout.FromPath(dir)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	return layout.Write(dir, empty.Index)
}

// Dir returns the store's root directory.
func (s *Store) Dir() string { return s.dir }

func (s *Store) path(elem ...string) string {
	return filepath.Join(append([]string{s.dir}, elem...)...)
}

// artifactDir is where the per-digest files of d live; d must be valid.
func (s *Store) artifactDir(d digest) string {
	return s.path("artifacts", d.tag(""))
}

// Get returns the artifact with the given digest ("sha256:<hex>"); the error
// wraps ErrNotFound when the store does not hold it. Get reads metadata only;
// use Verify to check content and signature.
func (s *Store) Get(ctx context.Context, dgst string) (Artifact, error) {
	if err := ctx.Err(); err != nil {
		return Artifact{}, err
	}
	d, err := parseDigest(dgst)
	if err != nil {
		return Artifact{}, fmt.Errorf("get artifact: %w", err)
	}
	return s.get(d)
}

func (s *Store) get(d digest) (Artifact, error) {
	dir := s.artifactDir(d)
	b, err := os.ReadFile(filepath.Join(dir, fileRecord))
	if errors.Is(err, fs.ErrNotExist) {
		return Artifact{}, fmt.Errorf("get artifact %s: %w", d, ErrNotFound)
	}
	if err != nil {
		return Artifact{}, fmt.Errorf("get artifact %s: %w", d, err)
	}
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return Artifact{}, fmt.Errorf("get artifact %s: read %s: %w", d, filepath.Join(dir, fileRecord), err)
	}
	if r.Digest != d.String() {
		return Artifact{}, fmt.Errorf("get artifact %s: metadata names digest %s: %w", d, r.Digest, ErrCorrupt)
	}
	return s.fromRecord(r, dir), nil
}

func (s *Store) fromRecord(r record, dir string) Artifact {
	return Artifact{
		Service:         r.Service,
		Version:         r.Version,
		Commit:          r.Commit,
		Digest:          r.Digest,
		Ref:             fmt.Sprintf("%s:%s@%s", r.Service, r.Version, r.Digest),
		Created:         r.Created,
		SBOM:            filepath.Join(dir, fileSBOM),
		Scan:            filepath.Join(dir, fileScan),
		ScanStatement:   filepath.Join(dir, fileScanStatement),
		Signature:       filepath.Join(dir, fileSignature),
		Payload:         filepath.Join(dir, filePayload),
		Provenance:      filepath.Join(dir, fileProvenance),
		Components:      r.Components,
		Vulnerabilities: r.Vulnerabilities,
		Size:            r.Size,
	}
}

// Lookup returns the artifact built for service at version; the error wraps
// ErrNotFound when there is none.
func (s *Store) Lookup(ctx context.Context, service, version string) (Artifact, error) {
	all, err := s.List(ctx)
	if err != nil {
		return Artifact{}, err
	}
	for _, a := range all {
		if a.Service == service && a.Version == version {
			return a, nil
		}
	}
	return Artifact{}, fmt.Errorf("lookup artifact %s:%s: %w", service, version, ErrNotFound)
}

// List returns every artifact in the store, oldest build timestamp first.
func (s *Store) List(ctx context.Context) ([]Artifact, error) {
	entries, err := os.ReadDir(s.path("artifacts"))
	if err != nil {
		return nil, fmt.Errorf("list artifacts: %w", err)
	}
	var out []Artifact
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hex, ok := strings.CutPrefix(e.Name(), "sha256-")
		if !ok || !e.IsDir() {
			continue // build scratch space or foreign files
		}
		d, err := parseDigest("sha256:" + hex)
		if err != nil {
			continue
		}
		a, err := s.get(d)
		if errors.Is(err, ErrNotFound) {
			continue // a build that did not finish
		}
		if err != nil {
			return nil, fmt.Errorf("list artifacts: %w", err)
		}
		out = append(out, a)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Created.Equal(out[j].Created) {
			return out[i].Created.Before(out[j].Created)
		}
		return out[i].Ref < out[j].Ref
	})
	return out, nil
}

// Per-digest file names.
const (
	fileRecord = "artifact.json"
	fileSBOM   = "sbom.cdx.json"
	fileScan   = "scan.json"
	// fileScanStatement is the DSSE envelope binding scan.json to the digest.
	fileScanStatement = "scan.att.json"
	fileSignature     = "signature.sig"
	filePayload       = "payload.json"
	fileProvenance    = "provenance.json"
)

// digest is a validated "sha256:<64 lowercase hex>" manifest digest.
type digest struct{ hex string }

var hexDigest = regexp.MustCompile(`^[0-9a-f]{64}$`)

func parseDigest(s string) (digest, error) {
	hex, ok := strings.CutPrefix(s, "sha256:")
	if !ok || !hexDigest.MatchString(hex) {
		return digest{}, fmt.Errorf("invalid digest %q: want sha256:<64 lowercase hex digits>", s)
	}
	return digest{hex: hex}, nil
}

func (d digest) String() string { return "sha256:" + d.hex }

// tag is the cosign fallback tag for an attachment ("sig", "sbom"), or the
// bare "sha256-<hex>" when suffix is empty.
func (d digest) tag(suffix string) string {
	if suffix == "" {
		return "sha256-" + d.hex
	}
	return "sha256-" + d.hex + "." + suffix
}
