package deploy

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/slipway/slipway/internal/artifact"
	"github.com/slipway/slipway/internal/artifact/registry"
	"github.com/slipway/slipway/internal/config"
)

// remoteExtractor verifies an artifact in a registry against an environment's
// policy, from the registry's copy alone, and unpacks its binary from there.
type remoteExtractor interface {
	ExtractFrom(ctx context.Context, repo, digest string, want artifact.Expect, destDir string, p artifact.Policy, opts ...registry.Option) (string, error)
}

// policyOf is the policy env is held to - the pinned policy file's when the
// control plane was given one that covers env, else slipway.yaml's - and
// where it was set: the file, or "" for slipway.yaml.
func (d *Deployer) policyOf(env string) (config.Policy, string) {
	var fromRepo config.Policy
	if e, ok := d.Config.Env(env); ok {
		fromRepo = e.Policy
	}
	p, from := d.Pinned.For(env, fromRepo)
	if from == "slipway.yaml" {
		from = ""
	}
	return p, from
}

// extract verifies a against p and unpacks its binary. With registry: in
// slipway.yaml the artifact is pulled by digest from the registry and
// verified there - signature, attestations, scan - so what runs is what the
// registry holds and the environment's keys vouch for. A restart of what env
// already admitted (admit false) falls back to the local copy when the
// registry cannot be reached; a registry copy that fails a check never does.
func (d *Deployer) extract(ctx context.Context, a Artifact, p artifact.Policy, admit bool) (string, error) {
	dir := filepath.Join(d.Dir, "artifacts", strings.TrimPrefix(a.Digest, "sha256:"))
	repo := d.Config.Registry
	if repo == "" {
		return d.Artifacts.Extract(ctx, a.Digest, dir, p)
	}
	r, ok := d.Artifacts.(remoteExtractor)
	if !ok {
		return "", fmt.Errorf("deploy %s from %s: this artifact store cannot read a registry", a.Digest, repo)
	}
	bin, err := r.ExtractFrom(ctx, repo, a.Digest, artifact.Expect{Service: a.Service, Version: a.Version}, dir, p)
	if err == nil {
		d.printf("deploy %s %s: pulled %s@%s and verified it there", a.Service, a.Version, repo, a.Digest)
		return bin, nil
	}
	if admit || verdict(err) {
		return "", err
	}
	d.printf("deploy %s %s: registry %s unavailable (%v); restarting from the verified local copy", a.Service, a.Version, repo, err)
	return d.Artifacts.Extract(ctx, a.Digest, dir, p)
}

// verdict reports whether err is a check refusing the artifact, as opposed to
// the registry not answering.
func verdict(err error) bool {
	for _, e := range []error{artifact.ErrCorrupt, artifact.ErrUnsigned, artifact.ErrBadSignature, artifact.ErrUntrustedKey,
		artifact.ErrAttestation, artifact.ErrScanBinding, artifact.ErrVulnerable, artifact.ErrStaleDB} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
