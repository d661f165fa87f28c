// Package registry pushes Slipway's artifacts to an OCI registry and pulls them
// back by digest, checked.
//
// A push writes the image by digest (and tags it with its version), then the
// attachments cosign looks for, each in cosign's tag scheme:
//
//	<repo>:sha256-<hex>.sig   the simple-signing payload the artifact store
//	                          signed, with its signature in the layer annotation
//	                          dev.cosignproject.cosign/signature
//	<repo>:sha256-<hex>.att   DSSE envelopes of in-toto statements about the
//	                          digest: the CycloneDX SBOM (predicate type
//	                          https://cyclonedx.org/bom), the SLSA provenance
//	                          (https://slsa.dev/provenance/v1) and the
//	                          vulnerability scan (cosign's
//	                          https://cosign.sigstore.dev/attestation/vuln/v1),
//	                          as `cosign attest` stores them
//	<repo>:sha256-<hex>.sbom  the SBOM itself, as `cosign attach sbom` stores it
//
// Each attachment manifest also names the image as its OCI 1.1 subject, so the
// referrers API lists them where the registry has one; where it has none
// (distribution 2.8, Debian's docker-registry) the referrers tag scheme
// (<repo>:sha256-<hex>, an index of referrers) is kept up to date instead, and
// [Referrers] reads either.
//
// [Fetch] fetches an image by digest and checks its content; [Find] reads its
// attachments, noting those whose content was changed in the registry.
// [Pull] fetches an image by digest and refuses it unless the manifest hashes
// to the digest, every blob hashes to its descriptor, and the signature at the
// .sig tag verifies with the given public key and signs that digest: what a
// deploy needs before it runs anything it did not build itself.
//
// Registries on loopback, private (RFC 1918) or *.local addresses are spoken to
// over plain HTTP, every other one over HTTPS. Credentials, when the registry
// needs them, come from SLIPWAY_REGISTRY_USER and SLIPWAY_REGISTRY_PASSWORD, or
// else from ~/.docker/config.json and its credential helpers (docker login,
// cosign login); they never reach a log, an event or the release notes.
package registry

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Sentinel errors, always wrapped with the reference concerned.
var (
	// ErrCorrupt means what the registry served does not hash to the digest
	// that names it.
	ErrCorrupt = errors.New("registry content does not match its digest")
	// ErrBadSignature means the signature at the .sig tag is missing, does not
	// verify with the expected key, or signs another digest.
	ErrBadSignature = errors.New("registry signature does not verify")
	// ErrTagMoved means a version tag already names another digest: versions
	// are immutable, and a push never moves one.
	ErrTagMoved = errors.New("version tag names another digest")
)

// ParseRepository reads a registry setting, "host[:port]/path", such as
// 127.0.0.1:5000/contract-api or registry.example.com/team/contract-api. The
// host must be explicit (no Docker Hub default), and the value names a
// repository, not an image: no tag, no digest.
func ParseRepository(s string) (name.Repository, error) {
	host, path, ok := strings.Cut(s, "/")
	switch {
	case s == "":
		return name.Repository{}, errors.New("registry is empty: give host:port/repository, e.g. 127.0.0.1:5000/contract-api")
	case strings.Contains(s, "://"):
		return name.Repository{}, fmt.Errorf("registry %q: give host:port/repository without a scheme, e.g. registry.example.com/contract-api", s)
	case !ok || path == "":
		return name.Repository{}, fmt.Errorf("registry %q: name a repository after the host: give host:port/repository, e.g. %s/contract-api", s, strings.TrimSuffix(s, "/"))
	case !strings.ContainsAny(host, ".:") && host != "localhost":
		return name.Repository{}, fmt.Errorf("registry %q: %q is not a registry host: give a host name with a dot or a port, e.g. registry.example.com/%s", s, host, s)
	case strings.ContainsAny(path, "@") || strings.Contains(path[strings.LastIndex(path, "/")+1:], ":"):
		return name.Repository{}, fmt.Errorf("registry %q: name a repository, without a tag or digest", s)
	}
	repo, err := name.NewRepository(s, name.StrictValidation)
	if err != nil {
		return name.Repository{}, fmt.Errorf("registry %q: %w (repository paths are lower-case letters, digits and . _ - / separators)", s, err)
	}
	return repo, nil
}

// Option configures a push or a pull.
type Option func(*options)

type options struct {
	remote []remote.Option
}

// WithRemote passes options to go-containerregistry's remote package: a
// transport, an authenticator, a user agent.
func WithRemote(opts ...remote.Option) Option {
	return func(o *options) { o.remote = append(o.remote, opts...) }
}

// Environment variables with the registry's credentials. Without them the
// credentials docker login and cosign login keep are used, or none.
const (
	EnvUser     = "SLIPWAY_REGISTRY_USER"
	EnvPassword = "SLIPWAY_REGISTRY_PASSWORD"
)

func makeOptions(opts []Option) options {
	auth := remote.WithAuthFromKeychain(authn.DefaultKeychain)
	if u, p := os.Getenv(EnvUser), os.Getenv(EnvPassword); u != "" || p != "" {
		auth = remote.WithAuth(&authn.Basic{Username: u, Password: p})
	}
	o := options{remote: []remote.Option{auth, remote.WithUserAgent("slipway")}}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// tag is cosign's tag for an attachment of digest d ("sha256:<hex>"): "sig",
// "att" or "sbom".
func tag(repo name.Repository, d, suffix string) name.Tag {
	return repo.Tag(strings.Replace(d, ":", "-", 1) + "." + suffix)
}
