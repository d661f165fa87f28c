package artifact

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

const (
	keyFile = "signing.key"
	pubFile = "signing.pub"
)

// loadOrCreateKey reads dir/signing.key, creating an ECDSA P-256 key pair
// when it is missing. The private key must not be readable by group or others.
func loadOrCreateKey(dir string) (*ecdsa.PrivateKey, error) {
	path := filepath.Join(dir, keyFile)
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return createKey(dir)
	case err != nil:
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	if mode := fi.Mode().Perm(); mode&0o077 != 0 {
		return nil, fmt.Errorf("signing key %s has mode %04o: it must be private (run chmod 600 %s)", path, mode, path)
	}
	key, err := parsePrivateKey(b)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", path, err)
	}
	// The public key file is for export; keep it in step with the private key.
	if err := writePublicKey(dir, &key.PublicKey); err != nil {
		return nil, err
	}
	return key, nil
}

func createKey(dir string) (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode signing key: %w", err)
	}
	privPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	if err := writeFileAtomic(filepath.Join(dir, keyFile), privPEM, 0o600); err != nil {
		return nil, fmt.Errorf("write signing key: %w", err)
	}
	if err := writePublicKey(dir, &key.PublicKey); err != nil {
		return nil, err
	}
	return key, nil
}

func parsePrivateKey(b []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM block found: want a PKCS#8 \"PRIVATE KEY\"")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse PKCS#8 key: %w", err)
	}
	ec, ok := k.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("key is %T: want an ECDSA P-256 key", k)
	}
	return ec, nil
}

func writePublicKey(dir string, pub *ecdsa.PublicKey) error {
	b, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		return fmt.Errorf("encode public key: %w", err)
	}
	path := filepath.Join(dir, pubFile)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, b) {
		return nil
	}
	if err := writeFileAtomic(path, b, 0o644); err != nil {
		return fmt.Errorf("write public key: %w", err)
	}
	return nil
}

// PublicKey returns the PEM-encoded public key that verifies this store's
// signatures (the same bytes as keys/signing.pub). It works with
// `cosign verify --key` and with VerifyWithKey on another store.
func (s *Store) PublicKey() []byte { return bytes.Clone(s.pubPEM) }

func (s *Store) sign(payload []byte) ([]byte, error) {
	sv, err := signature.LoadECDSASignerVerifier(s.key, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("load signer: %w", err)
	}
	sig, err := sv.SignMessage(bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("sign payload: %w", err)
	}
	return sig, nil
}

// verifySignature checks sig over payload with the PEM public key.
func verifySignature(pubPEM, payload, sig []byte) error {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pubPEM)
	if err != nil {
		return fmt.Errorf("parse public key: %w", err)
	}
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return fmt.Errorf("load verifier: %w", err)
	}
	if err := v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(payload)); err != nil {
		return fmt.Errorf("%w: %v", ErrBadSignature, err)
	}
	return nil
}

// writeFileAtomic writes data to path through a temporary file in the same
// directory, so readers see the old content or the new, never a part.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
