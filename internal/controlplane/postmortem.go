package controlplane

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/renameio/v2"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/delivery"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/notify"
	"github.com/slipway/slipway/internal/notify/webhook"
	"github.com/slipway/slipway/internal/store"
	"github.com/slipway/slipway/internal/telemetry"
)

// DraftPostMortem renders incident id's post-mortem from the journal, with the
// commits of the release it affected and of the release that fixed it, and the
// traces kept for the affected version, to <data>/postmortems/<id>.md and, with its
// charts, <id>.html beside it; it journals where they are. Drafting again rewrites
// both from the journal as it is now.
func (p *Plane) DraftPostMortem(ctx context.Context, id string) (string, error) {
	inc, err := p.Incidents.Get(ctx, id)
	if err != nil {
		return "", fmt.Errorf("post-mortem of %s: %w", id, err)
	}
	rel, commits, err := p.releaseCommits(ctx, inc.Service, inc.AffectedVersion)
	if err != nil {
		return "", fmt.Errorf("post-mortem of %s: %w", id, err)
	}
	src := incident.Sources{Commits: commits, HTMLName: id + ".html"}
	if inc.FixVersion != "" {
		if _, src.FixCommits, err = p.releaseCommits(ctx, inc.Service, inc.FixVersion); err != nil {
			return "", fmt.Errorf("post-mortem of %s: %w", id, err)
		}
	}
	if traces, ok := p.traces(ctx); ok {
		defer traces.Close()
		src.Investigator = traces
	}
	draft, err := p.Incidents.PostMortem(ctx, id, src)
	if err != nil {
		return "", fmt.Errorf("post-mortem of %s: %w", id, err)
	}
	dir := filepath.Join(p.Data, "postmortems")
	path := filepath.Join(dir, id+".md")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("post-mortem of %s: %w", id, err)
	}
	if err := renameio.WriteFile(filepath.Join(dir, src.HTMLName), draft.HTML, 0o644); err != nil {
		return "", fmt.Errorf("post-mortem of %s: %w", id, err)
	}
	if err := renameio.WriteFile(path, draft.Markdown, 0o644); err != nil {
		return "", fmt.Errorf("post-mortem of %s: %w", id, err)
	}
	if err := delivery.NoteIncident(rel, inc, path); err != nil {
		return "", fmt.Errorf("post-mortem of %s: %w", id, err)
	}
	_, _ = p.Store.Append(ctx, store.Event{Kind: "incident.postmortem", Service: inc.Service, Version: inc.AffectedVersion, Incident: id,
		Message: fmt.Sprintf("post-mortem draft of %s: %s (%d lines) and %s", id, path, strings.Count(string(draft.Markdown), "\n"), src.HTMLName),
		Data:    map[string]any{"path": path, "html": filepath.Join(dir, src.HTMLName)}})
	return path, nil
}

// releaseCommits reads a release and its commits, with the authors git recorded.
// A version Slipway did not release has none.
func (p *Plane) releaseCommits(ctx context.Context, service, version string) (delivery.Release, []incident.Commit, error) {
	var rel delivery.Release
	err := p.Store.Get(ctx, "release", service+"/"+version, &rel)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return rel, nil, err
	}
	var commits []incident.Commit
	for _, c := range rel.Commits {
		commits = append(commits, incident.Commit{Hash: c.Hash, Subject: c.Subject, Author: c.Author, Time: c.Time})
	}
	return rel, commits, nil
}

// traces opens the traces the control plane keeps, read-only; ok is false when
// it keeps none (no trace has arrived, or they go to a collector).
func (p *Plane) traces(ctx context.Context) (*telemetry.Store, bool) {
	path := filepath.Join(p.Data, telemetry.File)
	if _, err := os.Stat(path); err != nil {
		return nil, false
	}
	s, err := telemetry.OpenReadOnly(ctx, path)
	if err != nil {
		return nil, false
	}
	return s, true
}

// notifierFor adds the configuration's webhook to base.
func notifierFor(cfg *config.Config, base notify.Notifier) (notify.Notifier, error) {
	if cfg.Notify.Webhook == "" {
		return base, nil
	}
	url, err := cfg.Notify.WebhookURL()
	if err != nil {
		return nil, fmt.Errorf("notify.webhook of %s: %w", cfg.Service, err)
	}
	wh, err := webhook.New(url)
	if err != nil {
		return nil, fmt.Errorf("notify.webhook of %s: %w", cfg.Service, err)
	}
	if base == nil {
		return wh, nil
	}
	return notify.Multi{base, wh}, nil
}
