package artifact

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Extract verifies the artifact against p (see Check), then writes its binary
// to destDir/<service> with mode 0755 and returns that path. The layer is
// hashed again while it is read, and the binary only appears at its final path
// once that hash matched, so a blob changed after the check is still refused.
func (s *Store) Extract(ctx context.Context, digest, destDir string, p Policy) (string, error) {
	if _, err := s.Check(ctx, digest, p); err != nil {
		return "", err
	}
	d, _ := parseDigest(digest) // Check parsed it already
	a, err := s.get(d)
	if err != nil {
		return "", fmt.Errorf("extract: %w", err)
	}
	img, err := s.oci.Image(v1.Hash{Algorithm: "sha256", Hex: d.hex})
	if err != nil {
		return "", fmt.Errorf("extract %s: %w", a.Ref, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return "", fmt.Errorf("extract %s: %w", a.Ref, err)
	}
	if len(m.Layers) != 1 {
		return "", fmt.Errorf("extract %s: %w: image has %d layers, want 1", a.Ref, ErrCorrupt, len(m.Layers))
	}
	return writeBinary(destDir, a.Service, func(w io.Writer) error {
		return s.copyBinary(ctx, m.Layers[0].Digest, binaryPath(a.Service), w)
	})
}

// writeBinary writes destDir/<service> with mode 0755 from what copy writes,
// through a temporary file: the binary appears at its final path only once
// copy succeeded.
func writeBinary(destDir, service string, copy func(io.Writer) error) (string, error) {
	if err := os.MkdirAll(destDir, 0o755); err != nil {
		return "", fmt.Errorf("extract %s: %w", service, err)
	}
	dest := filepath.Join(destDir, service)
	tmp, err := os.CreateTemp(destDir, "."+service+"-*")
	if err != nil {
		return "", fmt.Errorf("extract %s: %w", service, err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	err = copy(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o755)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dest)
	}
	if err != nil {
		return "", fmt.Errorf("extract %s: %w", service, err)
	}
	return dest, nil
}

// copyBinary streams the gzip layer blob h, copies the tar entry name to w
// and checks that the whole blob hashes to h.
func (s *Store) copyBinary(ctx context.Context, h v1.Hash, name string, w io.Writer) error {
	blob, err := s.oci.Blob(h)
	if err != nil {
		return fmt.Errorf("%w: layer %s: %v", ErrCorrupt, h, err)
	}
	defer blob.Close()
	return copyFromLayer(ctx, blob, h, name, w)
}

// copyFromLayer reads the gzip tar layer blob, whose digest is h, copies its
// entry name to w and checks that the whole blob hashes to h.
func copyFromLayer(ctx context.Context, blob io.Reader, h v1.Hash, name string, w io.Writer) error {
	hasher := sha256.New()
	body := io.TeeReader(blob, hasher)
	gz, err := gzip.NewReader(body)
	if err != nil {
		return fmt.Errorf("%w: layer %s is not gzip: %v", ErrCorrupt, h, err)
	}
	tr := tar.NewReader(gz)
	found := false
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: layer %s: %v", ErrCorrupt, h, err)
		}
		if hdr.Name != name || hdr.Typeflag != tar.TypeReg {
			continue
		}
		ew := &errWriter{w: w}
		if _, err := io.Copy(ew, tr); err != nil {
			if ew.err != nil {
				return fmt.Errorf("write %s: %w", name, err)
			}
			return fmt.Errorf("%w: layer %s: read %s: %v", ErrCorrupt, h, name, err)
		}
		found = true
	}
	// Drain what gzip and tar did not need so the hash covers the whole blob.
	if _, err := io.Copy(io.Discard, body); err != nil {
		return fmt.Errorf("%w: layer %s: %v", ErrCorrupt, h, err)
	}
	if got := hex.EncodeToString(hasher.Sum(nil)); got != h.Hex {
		return fmt.Errorf("%w: layer blob %s hashes to sha256:%s", ErrCorrupt, h, got)
	}
	if !found {
		return fmt.Errorf("%w: layer %s has no file /%s", ErrCorrupt, h, name)
	}
	return nil
}

// errWriter remembers whether a failed copy was the writer's fault.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}
