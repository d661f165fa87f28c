package artifact

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Annotation and label keys.
const (
	refNameKey  = "org.opencontainers.image.ref.name"
	titleKey    = "org.opencontainers.image.title"
	versionKey  = "org.opencontainers.image.version"
	revisionKey = "org.opencontainers.image.revision"
	createdKey  = "org.opencontainers.image.created"

	cosignSigKey      = "dev.cosignproject.cosign/signature"
	simpleSigningType = types.MediaType("application/vnd.dev.cosign.simplesigning.v1+json")
	cycloneDXType     = types.MediaType("application/vnd.cyclonedx+json")
)

// imageSpec is everything that goes into the image; equal specs give equal
// digests.
type imageSpec struct {
	service, version, commit string
	created                  time.Time
	goos, goarch             string
	binary                   []byte
}

// binaryPath is where the service binary lives inside the image.
func binaryPath(service string) string { return "app/" + service }

// buildImage assembles a one-layer OCI image holding spec.binary at
// /app/<service>. Every timestamp, owner and mode is fixed.
func buildImage(spec imageSpec) (v1.Image, error) {
	layer, err := binaryLayer(spec)
	if err != nil {
		return nil, fmt.Errorf("image layer: %w", err)
	}
	created := spec.created.UTC().Format(time.RFC3339)
	labels := map[string]string{
		titleKey:    spec.service,
		versionKey:  spec.version,
		revisionKey: spec.commit,
		createdKey:  created,
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err = mutate.ConfigFile(img, &v1.ConfigFile{
		Created:      v1.Time{Time: spec.created.UTC()},
		Architecture: spec.goarch,
		OS:           spec.goos,
		RootFS:       v1.RootFS{Type: "layers"},
		Config: v1.Config{
			Entrypoint: []string{"/" + binaryPath(spec.service)},
			WorkingDir: "/app",
			User:       "65532:65532",
			Labels:     labels,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("image config: %w", err)
	}
	img, err = mutate.Append(img, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: spec.created.UTC()},
			CreatedBy: "slipway: go build " + spec.service,
		},
	})
	if err != nil {
		return nil, fmt.Errorf("image layer: %w", err)
	}
	annotated, ok := mutate.Annotations(img, labels).(v1.Image)
	if !ok {
		return nil, fmt.Errorf("image annotations: unexpected type")
	}
	return annotated, nil
}

// binaryLayer returns a gzip layer with the directory /app and the binary,
// owned by root, mode 0755, modified at spec.created.
func binaryLayer(spec imageSpec) (v1.Layer, error) {
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	mtime := spec.created.UTC().Truncate(time.Second)
	hdrs := []*tar.Header{
		{Typeflag: tar.TypeDir, Name: "app/", Mode: 0o755, ModTime: mtime, Format: tar.FormatPAX},
		{Typeflag: tar.TypeReg, Name: binaryPath(spec.service), Mode: 0o755, Size: int64(len(spec.binary)), ModTime: mtime, Format: tar.FormatPAX},
	}
	for i, h := range hdrs {
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if i == 1 {
			if _, err := tw.Write(spec.binary); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	// gzip's default level: within 0.5% of the best compression on a Go
	// binary, at a third of the time.
	var gzBuf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&gzBuf, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	// The gzip header stays zero (no name, no mtime) so output is reproducible.
	if _, err := gz.Write(tarBuf.Bytes()); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return newMemLayer(gzBuf.Bytes(), tarBuf.Bytes(), types.OCILayer), nil
}

// memLayer is a gzip layer held in memory with its uncompressed form.
type memLayer struct {
	compressed, uncompressed []byte
	digest, diffID           v1.Hash
	mediaType                types.MediaType
}

func newMemLayer(compressed, uncompressed []byte, mt types.MediaType) *memLayer {
	d, _, _ := v1.SHA256(bytes.NewReader(compressed))      // reading memory cannot fail
	diff, _, _ := v1.SHA256(bytes.NewReader(uncompressed)) // reading memory cannot fail
	return &memLayer{compressed: compressed, uncompressed: uncompressed, digest: d, diffID: diff, mediaType: mt}
}

func (l *memLayer) Digest() (v1.Hash, error) { return l.digest, nil }
func (l *memLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }
func (l *memLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.compressed)), nil
}
func (l *memLayer) Uncompressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.uncompressed)), nil
}
func (l *memLayer) Size() (int64, error)                { return int64(len(l.compressed)), nil }
func (l *memLayer) MediaType() (types.MediaType, error) { return l.mediaType, nil }

// attachment is a cosign-style image carrying one blob (a signature payload or
// an SBOM) as its only layer.
func attachment(blob []byte, mt types.MediaType, annotations map[string]string) (v1.Image, error) {
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	return mutate.Append(img, mutate.Addendum{
		Layer:       static.NewLayer(blob, mt),
		Annotations: annotations,
	})
}

// putImage writes img's blobs to the layout, then points ref at it in
// index.json, dropping whatever ref named before. The index is replaced
// atomically, so a reader in another process never sees half of it. Callers
// hold the store's write lock.
func putImage(p layout.Path, img v1.Image, ref string) error {
	if err := p.WriteImage(img); err != nil {
		return err
	}
	desc, err := partial.Descriptor(img)
	if err != nil {
		return err
	}
	desc.Annotations = map[string]string{refNameKey: ref}
	return updateIndex(p, func(m *v1.IndexManifest) {
		kept := m.Manifests[:0]
		for _, d := range m.Manifests {
			if d.Annotations[refNameKey] != ref {
				kept = append(kept, d)
			}
		}
		m.Manifests = append(kept, *desc)
	})
}

// updateIndex applies edit to the layout's index.json and writes it back
// atomically.
func updateIndex(p layout.Path, edit func(*v1.IndexManifest)) error {
	path := filepath.Join(string(p), "index.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read layout index: %w", err)
	}
	m, err := v1.ParseIndexManifest(bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("read layout index %s: %w", path, err)
	}
	edit(m)
	out, err := json.MarshalIndent(m, "", "   ")
	if err != nil {
		return fmt.Errorf("encode layout index: %w", err)
	}
	return writeFileAtomic(path, append(out, '\n'), 0o644)
}
