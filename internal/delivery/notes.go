package delivery

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/google/renameio/v2"

	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/release"
)

// writeNotes renders rel's release notes to Dir/releases/<version>.md and sets
// rel.Notes to that path. The notes say what changed (linked to the commits
// when a commit URL is known, see commitURL), where the artifact and its SBOM,
// signature and provenance are, and which incidents the version caused:
// writing the notes of a version again keeps the incidents already noted.
func (e *Engine) writeNotes(ctx context.Context, rel *Release, date time.Time) error {
	path := filepath.Join(e.Dir, "releases", rel.Version+".md")
	n := release.Notes{Version: rel.Version, Previous: rel.Previous, Date: date,
		Commits: release.FromGit(rel.Commits), CommitURL: e.commitURL(ctx), Artifact: notesArtifact(rel)}
	md := n.Markdown()
	if old, err := os.ReadFile(path); err == nil {
		md = release.CarryIncidents(string(old), md)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("release %s: read notes: %w", rel.Version, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("release %s: %w", rel.Version, err)
	}
	if err := renameio.WriteFile(path, []byte(md), 0o644); err != nil {
		return fmt.Errorf("release %s: write notes: %w", rel.Version, err)
	}
	rel.Notes = path
	return nil
}

// notesArtifact is what the notes say about rel's artifact: the registry's
// attachments when it was pushed, the local files otherwise.
func notesArtifact(rel *Release) *release.Artifact {
	a := rel.Artifact
	if a.Digest == "" {
		return nil
	}
	out := &release.Artifact{Ref: a.Ref, SBOM: a.SBOM, Signature: a.Signature, Provenance: a.Provenance,
		Components: a.Components, Vulnerabilities: a.Vulnerabilities}
	if p := rel.Pushed; p != nil {
		out.Registry, out.SBOM, out.Signature, out.Provenance = p.Ref, p.Attestations, p.Signature, p.Attestations
	}
	return out
}

// NoteIncident adds inc to the incidents section of the release notes of the
// version it affected (rel, as the store keeps it), with a link to its
// post-mortem draft when postMortem is not empty. Noting the same incident
// again updates its line. A release without notes is left alone.
func NoteIncident(rel Release, inc incident.Incident, postMortem string) error {
	if rel.Notes == "" {
		return nil
	}
	old, err := os.ReadFile(rel.Notes)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // notes removed by hand: nothing to add to
	}
	if err != nil {
		return fmt.Errorf("note %s in the notes of %s: %w", inc.ID, rel.Version, err)
	}
	link := postMortem
	if link != "" {
		if rl, err := filepath.Rel(filepath.Dir(rel.Notes), postMortem); err == nil {
			link = filepath.ToSlash(rl)
		}
	}
	md := release.AddIncident(string(old), release.Incident{ID: inc.ID, Env: inc.Env, Status: string(inc.Status),
		Title: inc.Title, Opened: inc.OpenedAt, PostMortem: link})
	if md == string(old) {
		return nil
	}
	if err := renameio.WriteFile(rel.Notes, []byte(md), 0o644); err != nil {
		return fmt.Errorf("note %s in the notes of %s: %w", inc.ID, rel.Version, err)
	}
	return nil
}

// commitURL is the template that links release notes entries to commits: git's
// slipway.commit-url setting in the repository when set (e.g.
// `git config slipway.commit-url https://git.example.com/team/api/commit/{hash}`),
// else one made from an origin remote on github.com or gitlab.com, else none
// (entries show the short hash).
func (e *Engine) commitURL(ctx context.Context) string {
	if e.Repo == nil {
		return ""
	}
	git := func(args ...string) string {
		out, err := exec.CommandContext(ctx, "git", append([]string{"-C", e.Repo.Dir}, args...)...).Output()
		if err != nil {
			return ""
		}
		return strings.TrimSpace(string(out))
	}
	if t := git("config", "--get", "slipway.commit-url"); t != "" {
		return t
	}
	return forgeCommitURL(git("remote", "get-url", "origin"))
}

var scpRemoteRE = regexp.MustCompile(`^[A-Za-z0-9._-]+@([A-Za-z0-9.-]+):(.+)$`)

// forgeCommitURL makes a commit URL template from a remote URL on github.com or
// gitlab.com (https, ssh or scp-like); "" for any other remote. Credentials in
// the remote never reach the template.
func forgeCommitURL(remote string) string {
	var host, path string
	if m := scpRemoteRE.FindStringSubmatch(remote); m != nil {
		host, path = m[1], m[2]
	} else if u, err := url.Parse(remote); err == nil && (u.Scheme == "https" || u.Scheme == "http" || u.Scheme == "ssh") {
		host, path = u.Hostname(), u.Path
	}
	path = strings.TrimSuffix(strings.Trim(path, "/"), ".git")
	if strings.Count(path, "/") < 1 || strings.ContainsAny(path, "{}? #") {
		return ""
	}
	switch host {
	case "github.com":
		return "https://github.com/" + path + "/commit/{hash}"
	case "gitlab.com":
		return "https://gitlab.com/" + path + "/-/commit/{hash}"
	}
	return ""
}
