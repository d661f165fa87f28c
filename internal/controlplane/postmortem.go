package controlplane

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/slipway/slipway/internal/config"
	"github.com/slipway/slipway/internal/delivery"
	"github.com/slipway/slipway/internal/incident"
	"github.com/slipway/slipway/internal/notify"
	"github.com/slipway/slipway/internal/notify/webhook"
	"github.com/slipway/slipway/internal/store"
)

// DraftPostMortem renders incident id's post-mortem from the journal, with the
// commits of the release it affected, to <data>/postmortems/<id>.md, and journals
// where it is. Drafting again rewrites the file from the journal as it is now.
func (p *Plane) DraftPostMortem(ctx context.Context, id string) (string, error) {
	inc, err := p.Incidents.Get(ctx, id)
	if err != nil {
		return "", fmt.Errorf("post-mortem of %s: %w", id, err)
	}
	var commits []incident.Commit
	var rel delivery.Release
	err = p.Store.Get(ctx, "release", inc.Service+"/"+inc.AffectedVersion, &rel)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", fmt.Errorf("post-mortem of %s: %w", id, err)
	}
	for _, c := range rel.Commits {
		commits = append(commits, incident.Commit{Hash: c.Hash, Subject: c.Subject, Author: c.Author, Time: c.Time})
	}
	md, err := p.Incidents.PostMortem(ctx, id, commits)
	if err != nil {
		return "", fmt.Errorf("post-mortem of %s: %w", id, err)
	}
	path := filepath.Join(p.Data, "postmortems", id+".md")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("post-mortem of %s: %w", id, err)
	}
	if err := os.WriteFile(path, md, 0o644); err != nil {
		return "", fmt.Errorf("post-mortem of %s: %w", id, err)
	}
	if err := delivery.NoteIncident(rel, inc, path); err != nil {
		return "", fmt.Errorf("post-mortem of %s: %w", id, err)
	}
	_, _ = p.Store.Append(ctx, store.Event{Kind: "incident.postmortem", Service: inc.Service, Version: inc.AffectedVersion, Incident: id,
		Message: fmt.Sprintf("post-mortem draft of %s: %s (%d lines)", id, path, strings.Count(string(md), "\n")),
		Data:    map[string]any{"path": path}})
	return path, nil
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
