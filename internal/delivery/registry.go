package delivery

import (
	"context"
	"fmt"
	"os"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/slipway/slipway/internal/artifact/registry"
	"github.com/slipway/slipway/internal/store"
)

// registrySource is what pushing to a registry needs of the artifact store.
type registrySource interface {
	Image(ctx context.Context, digest string) (v1.Image, error)
	SignAttestation(ctx context.Context, payload []byte) ([]byte, error)
	VulnStatement(ctx context.Context, digest string) ([]byte, error)
	KeyID() (string, error)
}

// push sends rel's artifact to the registry slipway.yaml names, when it names
// one: the image by digest and by version, its signature, its SBOM,
// provenance and vulnerability scan attestations (see package registry). rel.Pushed records where, by
// digest. Without a registry push does nothing.
func (e *Engine) push(ctx context.Context, rel *Release) error {
	if e.Config.Registry == "" {
		return nil
	}
	src, ok := e.Artifacts.(registrySource)
	if !ok {
		return fmt.Errorf("release %s: push to %s: the artifact store cannot hand out images", rel.Version, e.Config.Registry)
	}
	img, err := src.Image(ctx, rel.Artifact.Digest)
	if err != nil {
		return fmt.Errorf("release %s: push to %s: %w", rel.Version, e.Config.Registry, err)
	}
	vuln, err := src.VulnStatement(ctx, rel.Artifact.Digest)
	if err != nil {
		return fmt.Errorf("release %s: push to %s: %w", rel.Version, e.Config.Registry, err)
	}
	keyID, err := src.KeyID()
	if err != nil {
		return fmt.Errorf("release %s: push to %s: %w", rel.Version, e.Config.Registry, err)
	}
	files := map[string][]byte{}
	for _, p := range []string{rel.Artifact.Payload, rel.Artifact.Signature, rel.Artifact.SBOM, rel.Artifact.Provenance} {
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("release %s: push to %s: %w", rel.Version, e.Config.Registry, err)
		}
		files[p] = b
	}
	pushed, err := registry.Push(ctx, e.Config.Registry, registry.Artifact{Image: img, Version: rel.Version,
		Payload: files[rel.Artifact.Payload], Signature: strings.TrimSpace(string(files[rel.Artifact.Signature])),
		SBOM: files[rel.Artifact.SBOM], Provenance: files[rel.Artifact.Provenance], Vuln: vuln, KeyID: keyID, Sign: src.SignAttestation})
	if err != nil {
		return fmt.Errorf("release %s: %w", rel.Version, err)
	}
	rel.Pushed = &pushed
	e.printf("pushed %s %s to %s (signature, SBOM, provenance and vulnerability scan attached)", e.Config.Service, rel.Version, pushed.Ref)
	_, _ = e.Store.Append(ctx, store.Event{Kind: "release.pushed", Service: e.Config.Service, Version: rel.Version, Digest: pushed.Digest,
		Message: fmt.Sprintf("%s %s pushed to %s", e.Config.Service, rel.Version, pushed.Ref),
		Data: map[string]any{"ref": pushed.Ref, "tag": pushed.Tag, "signature": pushed.Signature,
			"attestations": pushed.Attestations, "sbom": pushed.SBOM}})
	return nil
}
