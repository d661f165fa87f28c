package delivery

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/artifact"
	"github.com/slipway/slipway/internal/artifact/registry"
	"github.com/slipway/slipway/internal/artifact/registry/registrytest"
	"github.com/slipway/slipway/internal/incident"
)

// TestReleasePushesToRegistry releases to a real registry: the release records
// the image by digest, the image pulls back checked with the store's key, the
// attestations verify, the notes point at the registry and link the commits, and
// an incident opened later lands in the notes.
func TestReleasePushesToRegistry(t *testing.T) {
	reg := registrytest.Start(t)
	ctx := context.Background()
	e, repo := newEngine(t)
	e.Config.Registry = reg.Host + "/team/svc"
	git := exec.Command("git", "-C", repo.Dir, "config", "slipway.commit-url", "https://git.example.com/team/svc/commit/{hash}")
	if out, err := git.CombinedOutput(); err != nil {
		t.Fatalf("git config: %v\n%s", err, out)
	}
	commit(t, repo, "a.txt", "a", "feat: first")
	green(t, e)
	rel, err := e.Release(ctx, "main")
	if err != nil {
		t.Fatalf("Release: %v", err)
	}
	if rel.Pushed == nil || rel.Pushed.Ref != e.Config.Registry+"@"+rel.Artifact.Digest || rel.Pushed.Tag != e.Config.Registry+":"+rel.Version {
		t.Fatalf("Release.Pushed = %+v, want %s@%s tagged %s", rel.Pushed, e.Config.Registry, rel.Artifact.Digest, rel.Version)
	}
	var stored Release
	if err := e.Store.Get(ctx, "release", "svc/"+rel.Version, &stored); err != nil || stored.Pushed == nil || *stored.Pushed != *rel.Pushed {
		t.Errorf("stored release registry = %+v (%v), want %+v", stored.Pushed, err, rel.Pushed)
	}

	arts := e.Artifacts.(*artifact.Store)
	img, err := registry.Pull(ctx, rel.Pushed.Ref, arts.PublicKey())
	if err != nil {
		t.Fatalf("Pull(%s): %v", rel.Pushed.Ref, err)
	}
	if d, _ := img.Digest(); d.String() != rel.Artifact.Digest {
		t.Errorf("pulled digest %s, want %s", d, rel.Artifact.Digest)
	}
	found, err := registry.Find(ctx, rel.Pushed.Ref)
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range []string{registry.PredicateCycloneDX, registry.PredicateSLSA, registry.PredicateVuln} {
		if _, err := found.Verify(pt, arts.PublicKey()); err != nil {
			t.Errorf("attestation %s: %v", pt, err)
		}
	}

	notes, err := os.ReadFile(rel.Notes)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"- Registry: `" + rel.Pushed.Ref + "`",
		"- Signature: `" + rel.Pushed.Signature + "`",
		"(https://git.example.com/team/svc/commit/" + rel.Commit + "))",
		"### Incidents\n\nNone recorded.\n",
	} {
		if !strings.Contains(string(notes), want) {
			t.Errorf("notes %s lack %q:\n%s", rel.Notes, want, notes)
		}
	}

	inc := incident.Incident{ID: "INC-7", Env: "prod", Status: incident.Stabilized, Title: "svc 0.1.0 rolled back in prod",
		OpenedAt: time.Date(2026, 2, 5, 17, 0, 0, 0, time.UTC)}
	if err := NoteIncident(stored, inc, e.Dir+"/postmortems/INC-7.md"); err != nil {
		t.Fatalf("NoteIncident: %v", err)
	}
	notes, _ = os.ReadFile(rel.Notes)
	if want := "- **INC-7** (prod, opened 2026-02-05 17:00 UTC, mitigated): svc 0.1.0 rolled back in prod - [post-mortem](../postmortems/INC-7.md)\n"; !strings.HasSuffix(string(notes), want) {
		t.Errorf("notes after the incident end with\n%s\nwant %q", notes[strings.Index(string(notes), "### Incidents"):], want)
	}
}

func TestForgeCommitURL(t *testing.T) {
	for remote, want := range map[string]string{
		"https://github.com/acme/contract-api.git":         "https://github.com/acme/contract-api/commit/{hash}",
		"git@github.com:acme/contract-api.git":             "https://github.com/acme/contract-api/commit/{hash}",
		"https://user:s3cret@github.com/acme/contract-api": "https://github.com/acme/contract-api/commit/{hash}",
		"ssh://git@gitlab.com/group/sub/contract-api.git":  "https://gitlab.com/group/sub/contract-api/-/commit/{hash}",
		"https://git.example.com/acme/contract-api.git":    "",
		"/srv/git/contract-api.git":                        "",
		"":                                                 "",
	} {
		if got := forgeCommitURL(remote); got != want {
			t.Errorf("forgeCommitURL(%q) = %q, want %q", remote, got, want)
		}
	}
}
