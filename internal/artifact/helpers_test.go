package artifact

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const testCommit = "0123456789abcdef0123456789abcdef01234567"

var testCreated = time.Date(2026, 3, 2, 11, 16, 0, 0, time.UTC)

// helloSource copies testdata/hello (a module with cmd/hello) to a fresh
// directory and returns it.
func helloSource(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "src")
	copyTree(t, filepath.Join("testdata", "hello"), dst)
	return dst
}

func helloInput(src, version string, log io.Writer) BuildInput {
	return BuildInput{
		Service:   "hello",
		Version:   version,
		Commit:    testCommit,
		SourceDir: src,
		Main:      "./cmd/hello",
		Created:   testCreated,
		Log:       log,
	}
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatalf("copy %s to %s: %v", src, dst, err)
	}
}

// builtStore is one store with one built artifact, made once per test binary
// and copied by tests that damage it.
var builtStore struct {
	once sync.Once
	dir  string
	art  Artifact
	log  string
	err  error
}

// sharedBuild returns a fresh copy of a store holding hello 1.2.3 (built with
// the embedded vulnerability database) and its artifact.
func sharedBuild(t *testing.T) (*Store, Artifact, string) {
	t.Helper()
	builtStore.once.Do(func() {
		root, err := os.MkdirTemp("", "slipway-artifact-test-")
		if err != nil {
			builtStore.err = err
			return
		}
		src := filepath.Join(root, "src")
		if err := os.CopyFS(src, os.DirFS(filepath.Join("testdata", "hello"))); err != nil {
			builtStore.err = err
			return
		}
		builtStore.dir = filepath.Join(root, "store")
		s, err := Open(builtStore.dir)
		if err != nil {
			builtStore.err = err
			return
		}
		var log bytes.Buffer
		builtStore.art, builtStore.err = s.Build(context.Background(), helloInput(src, "1.2.3", &log))
		builtStore.log = log.String()
	})
	if builtStore.err != nil {
		t.Fatalf("shared build: %v", builtStore.err)
	}
	dir := filepath.Join(t.TempDir(), "store")
	copyTree(t, builtStore.dir, dir)
	s, err := Open(dir)
	if err != nil {
		t.Fatalf("Open(copy): %v", err)
	}
	a, err := s.Get(context.Background(), builtStore.art.Digest)
	if err != nil {
		t.Fatalf("Get(copy): %v", err)
	}
	return s, a, builtStore.log
}

func TestMain(m *testing.M) {
	// The default signing key lives under the user's configuration directory:
	// give the tests their own.
	cfgHome, err := os.MkdirTemp("", "slipway-artifact-config-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", cfgHome)
	os.Unsetenv(EnvSigningKey)
	os.Unsetenv(EnvVulnDB)
	code := m.Run()
	os.RemoveAll(cfgHome)
	if builtStore.dir != "" {
		os.RemoveAll(filepath.Dir(builtStore.dir))
	}
	os.Exit(code)
}

// newKey makes a signing key in memory.
func newKey(t *testing.T) *KeySigner {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	k, err := NewKeySigner(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), "test key")
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// storeSign signs payload with the key s signs with, base64.
func storeSign(t *testing.T, s *Store, payload []byte) string {
	t.Helper()
	sg, err := s.signerOrDefault()
	if err != nil {
		t.Fatal(err)
	}
	sig, err := sg.Sign(context.Background(), payload)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// mustContain fails unless every want appears in got.
func mustContain(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s = %q, want it to contain %q", what, got, w)
		}
	}
}
