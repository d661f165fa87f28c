package artifact

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// Keys of the optional section of the signed payload. They bind the version,
// the commit, the SBOM and the provenance to the signed digest.
const (
	optVersion    = "dev.slipway/version"
	optCommit     = "dev.slipway/commit"
	optSBOM       = "dev.slipway/sbom"
	optProvenance = "dev.slipway/provenance"
	// optKey names the signer's key fingerprint: a hint for messages (which
	// key signed an artifact no environment trusts), never trusted itself.
	optKey = "dev.slipway/key"
)

// signingPayload is the cosign simple-signing payload for d: the manifest
// digest under critical, Slipway's facts under optional.
func signingPayload(service, version, commit string, d digest, sbom, provenance []byte, keyID string) ([]byte, error) {
	ref, err := name.NewDigest(service + "@" + d.String())
	if err != nil {
		return nil, fmt.Errorf("signing payload: %w", err)
	}
	p := payload.Cosign{
		Image:           ref,
		ClaimedIdentity: service,
		Annotations: map[string]any{
			optVersion:    version,
			optCommit:     commit,
			optSBOM:       sha256Digest(sbom),
			optProvenance: sha256Digest(provenance),
			optKey:        keyID,
		},
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("signing payload: %w", err)
	}
	return b, nil
}

// checkPayload parses a signed payload and checks that it is about d and, when
// want is non-nil, that its optional facts equal want.
func checkPayload(b []byte, d digest, want map[string]string) error {
	var p payload.SimpleContainerImage
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("%w: payload is not simple-signing JSON: %v", ErrBadSignature, err)
	}
	if p.Critical.Type != payload.CosignSignatureType {
		return fmt.Errorf("%w: payload type %q, want %q", ErrBadSignature, p.Critical.Type, payload.CosignSignatureType)
	}
	if got := p.Critical.Image.DockerManifestDigest; got != d.String() {
		return fmt.Errorf("%w: payload signs digest %s, not %s: the signature belongs to another artifact", ErrBadSignature, got, d)
	}
	for k, v := range want {
		if got, _ := p.Optional[k].(string); got != v {
			return fmt.Errorf("%w: signed %s is %q but the store says %q", ErrBadSignature, k, got, v)
		}
	}
	return nil
}

func sha256Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// provenance is an in-toto v1 statement with a SLSA v1 predicate describing
// how the artifact was built: by go build (in.Main) or by a command (in.Run). It
// is deterministic for equal inputs. goVersion is empty when the binary is not Go.
func provenance(in BuildInput, d digest, goVersion string) ([]byte, error) {
	buildType := "https://slipway.dev/buildtypes/go-binary/v1"
	external := map[string]any{"service": in.Service, "version": in.Version, "main": in.Main}
	internal := map[string]any{
		"go":      goVersion,
		"flags":   []string{"-trimpath", "-buildvcs=false", "-ldflags=-s -w -X main.version=" + in.Version},
		"env":     []string{"CGO_ENABLED=0"},
		"created": in.Created.UTC().Format(time.RFC3339),
	}
	if in.Run != "" {
		buildType = "https://slipway.dev/buildtypes/command/v1"
		external = map[string]any{"service": in.Service, "version": in.Version, "run": in.Run, "binary": in.Binary}
		internal = map[string]any{
			"shell":   "sh -c",
			"env":     []string{"SLIPWAY_SERVICE=" + in.Service, "SLIPWAY_VERSION=" + in.Version, "SLIPWAY_COMMIT=" + in.Commit},
			"created": in.Created.UTC().Format(time.RFC3339),
		}
		if goVersion != "" {
			internal["go"] = goVersion
		}
	}
	stmt := map[string]any{
		"_type": "https://in-toto.io/Statement/v1",
		"subject": []map[string]any{{
			"name":   in.Service,
			"digest": map[string]string{"sha256": d.hex},
		}},
		"predicateType": "https://slsa.dev/provenance/v1",
		"predicate": map[string]any{
			"buildDefinition": map[string]any{
				"buildType":          buildType,
				"externalParameters": external,
				"internalParameters": internal,
				"resolvedDependencies": []map[string]any{{
					"name":   "source",
					"digest": map[string]string{"gitCommit": in.Commit},
				}},
			},
			"runDetails": map[string]any{
				"builder": map[string]string{"id": "slipway"},
			},
		},
	}
	b, err := json.MarshalIndent(stmt, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	return append(b, '\n'), nil
}
