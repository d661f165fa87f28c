package artifact

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
)

// Signer signs what the store vouches for: the simple-signing payload of an
// image and the statement binding its scan report. An implementation may hold
// the key (KeySigner) or ask a KMS; it must be safe for concurrent use, and
// PublicKey must not change during the signer's life. Sign returns an ASN.1
// ECDSA signature over the SHA-256 of payload (what cosign verifies with
// --key).
type Signer interface {
	Sign(ctx context.Context, payload []byte) ([]byte, error)
	// PublicKey is the PEM (PKIX) public key that verifies Sign's signatures.
	PublicKey() []byte
}

// KeySigner signs with an ECDSA P-256 private key held in memory.
type KeySigner struct {
	key    *ecdsa.PrivateKey
	pubPEM []byte
	path   string // the key file, when it came from one
	// Source says where the key came from (a path, $VAR, "inline PEM"); never the key.
	Source string
}

var _ Signer = (*KeySigner)(nil)

// NewKeySigner parses a PKCS#8 PEM ECDSA P-256 private key. source names where
// it came from, for messages.
func NewKeySigner(privatePEM []byte, source string) (*KeySigner, error) {
	key, err := parsePrivateKey(privatePEM)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", source, err)
	}
	pub, err := cryptoutils.MarshalPublicKeyToPEM(&key.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: encode public key: %w", source, err)
	}
	return &KeySigner{key: key, pubPEM: pub, Source: source}, nil
}

// Sign implements Signer.
func (k *KeySigner) Sign(ctx context.Context, payload []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sv, err := signature.LoadECDSASignerVerifier(k.key, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("load signer: %w", err)
	}
	sig, err := sv.SignMessage(bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("sign payload: %w", err)
	}
	return sig, nil
}

// PublicKey implements Signer.
func (k *KeySigner) PublicKey() []byte { return bytes.Clone(k.pubPEM) }

// EnvSigningKey is the environment variable read for the signing key when the
// configuration names none: a PEM, or the path of a PEM file.
const EnvSigningKey = "SLIPWAY_SIGNING_KEY"

// LoadSigner returns the signer spec names: a PEM itself, or the path of a PEM
// file (which must not be readable by group or others). ${VAR} is expanded
// first. An empty spec reads $SLIPWAY_SIGNING_KEY the same way; when that is
// unset too, it returns nil: the store then uses the default key
// (DefaultKeyPath), made on first use.
func LoadSigner(spec string) (*KeySigner, error) {
	source := spec
	if spec == "" {
		v, ok := os.LookupEnv(EnvSigningKey)
		if !ok || strings.TrimSpace(v) == "" {
			return nil, nil
		}
		spec, source = v, "$"+EnvSigningKey
	} else if strings.Contains(spec, "${") {
		var missing []string
		expanded := os.Expand(spec, func(name string) string {
			v, ok := os.LookupEnv(name)
			if !ok {
				missing = append(missing, "${"+name+"}")
			}
			return v
		})
		if len(missing) > 0 {
			return nil, fmt.Errorf("signing key %s: %s not set in the environment: set it to a PEM or a key file path", spec, strings.Join(missing, ", "))
		}
		spec = expanded
	}
	if strings.Contains(spec, "-----BEGIN") {
		if source == spec {
			source = "inline PEM"
		}
		return NewKeySigner([]byte(spec), source)
	}
	path := strings.TrimSpace(spec)
	if source != "$"+EnvSigningKey {
		source = path
	} else {
		source = path + " ($" + EnvSigningKey + ")"
	}
	b, err := readPrivateFile(path)
	if err != nil {
		return nil, err
	}
	k, err := NewKeySigner(b, source)
	if err != nil {
		return nil, err
	}
	if k.path, err = filepath.Abs(path); err != nil {
		return nil, err
	}
	return k, nil
}

// readPrivateFile reads a private key file, refusing one others may read.
func readPrivateFile(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	if mode := fi.Mode().Perm(); mode&0o077 != 0 {
		return nil, fmt.Errorf("signing key %s has mode %04o: it must be private (run chmod 600 %s)", path, mode, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	return b, nil
}

// DefaultKeyPath is where the default signing key lives:
// <user config dir>/slipway/signing.key (~/.config/slipway on Linux), outside
// every state directory. Its public half is signing.pub beside it.
func DefaultKeyPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("default signing key: %w: set %s or artifacts.signing-key in slipway.yaml", err, EnvSigningKey)
	}
	return filepath.Join(dir, "slipway", "signing.key"), nil
}

// DefaultSigner loads the default signing key, making it the first time. Two
// processes making it at once end up with the same key: the file is created
// exclusively and read back.
func DefaultSigner() (*KeySigner, error) {
	path, err := DefaultKeyPath()
	if err != nil {
		return nil, err
	}
	b, err := readPrivateFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createKeyFile(path); err != nil {
			return nil, err
		}
		b, err = readPrivateFile(path)
	}
	if err != nil {
		return nil, err
	}
	k, err := NewKeySigner(b, path)
	if err != nil {
		return nil, err
	}
	pubPath := strings.TrimSuffix(path, ".key") + ".pub"
	if old, err := os.ReadFile(pubPath); err != nil || !bytes.Equal(old, k.pubPEM) {
		if err := writeFileAtomic(pubPath, k.pubPEM, 0o644); err != nil {
			return nil, fmt.Errorf("write public key %s: %w", pubPath, err)
		}
	}
	return k, nil
}

// defaultPublicKey reads the default key's public half without making a key.
func defaultPublicKey() (TrustedKey, error) {
	path, err := DefaultKeyPath()
	if err != nil {
		return TrustedKey{}, err
	}
	b, err := readPrivateFile(path)
	if err != nil {
		return TrustedKey{}, fmt.Errorf("no policy key and no default signing key (%w): name the keys the environment trusts in environments[].policy.keys", err)
	}
	k, err := NewKeySigner(b, path)
	if err != nil {
		return TrustedKey{}, err
	}
	return newTrustedKey(k.pubPEM, "default key "+strings.TrimSuffix(path, ".key")+".pub")
}

// createKeyFile writes a new ECDSA P-256 key to path unless a file is there.
func createKeyFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("default signing key: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode signing key: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-signing-*")
	if err != nil {
		return fmt.Errorf("default signing key: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.Write(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o600)
	}
	if err != nil {
		return fmt.Errorf("write signing key: %w", err)
	}
	// Link fails when another process made the key first: theirs is kept.
	if err := os.Link(tmp, path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("write signing key %s: %w", path, err)
	}
	return nil
}

// Fingerprint names a public key: sha256 of its DER SubjectPublicKeyInfo, the
// first 16 hex digits (as ssh-keygen -l shortens, enough to tell keys apart in
// a message; matching is always by signature, never by fingerprint).
func Fingerprint(pubPEM []byte) (string, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pubPEM)
	if err != nil {
		return "", fmt.Errorf("parse public key: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("encode public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:8]), nil
}
