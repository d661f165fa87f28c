package incident

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Commit is one change between the last stable version and the affected one.
type Commit struct {
	Hash, Subject string
	// Author is "Name <email>" as git records it, or a name.
	Author string
	Time   time.Time
}

// Sources are what a post-mortem reads besides the journal. Every field is optional.
type Sources struct {
	// Commits are the changes between the stable and the affected version, oldest
	// first, as git log --reverse gives them.
	Commits []Commit
	// FixCommits are the changes of the version that resolved the incident.
	FixCommits []Commit
	// Investigator finds the failing requests in the kept traces; nil looks for none.
	Investigator Investigator
	// HTMLName is the file the HTML rendering is written to beside the markdown
	// ("INC-1.html"); the markdown points to it for the charts. Empty: not named.
	HTMLName string
}

// Draft is a post-mortem in its two renderings: markdown for the repository and
// chat, and a self-contained HTML page with the charts.
type Draft struct {
	Markdown []byte
	HTML     []byte
}

// PostMortem drafts the blameless post-mortem of incident id from the journal of
// its rollout and of the incident, the commits it is given and, when src has an
// Investigator, the traces kept for the affected version. Its sections are
// stable: Summary, Response, Timeline, Deciding metrics, Investigation, Changes in
// <version>, Fix (once a fix version resolved it), Root cause, What went well,
// What went less well, Action items.
func (m *Manager) PostMortem(ctx context.Context, id string, src Sources) (Draft, error) {
	inc, err := m.Get(ctx, id)
	if err != nil {
		return Draft{}, fmt.Errorf("post-mortem: %w", err)
	}
	journal, err := m.journal(ctx, inc)
	if err != nil {
		return Draft{}, fmt.Errorf("post-mortem of %s: %w", id, err)
	}
	around, err := m.surroundings(ctx, inc)
	if err != nil {
		return Draft{}, fmt.Errorf("post-mortem of %s: %w", id, err)
	}
	f, err := readFacts(inc, journal, around)
	if err != nil {
		return Draft{}, fmt.Errorf("post-mortem of %s: %w", id, err)
	}
	p := &postMortem{inc: inc, f: f, src: src}
	p.investigate(ctx)
	d := p.build()
	html, err := d.html()
	if err != nil {
		return Draft{}, fmt.Errorf("post-mortem of %s: %w", id, err)
	}
	return Draft{Markdown: d.markdown(), HTML: html}, nil
}

// postMortem gathers what the sections are written from.
type postMortem struct {
	inc Incident
	f   facts
	src Sources
	// evidence is what the traces show; found is false when none were kept.
	evidence Evidence
	found    bool
	traceErr error
}

// investigate asks the Investigator for the affected version's failing requests
// around the incident. A failure is reported in the draft, never fatal.
func (p *postMortem) investigate(ctx context.Context) {
	if p.src.Investigator == nil {
		return
	}
	from, to := p.window()
	p.evidence, p.found, p.traceErr = p.src.Investigator.Investigate(ctx, p.inc.Service, p.inc.Env, p.inc.AffectedVersion, from, to)
}

// window is the time around the incident: from the rollout's start (or a minute
// before the first failure) to a minute after traffic was back on stable.
func (p *postMortem) window() (from, to time.Time) {
	from, to = p.inc.StartedAt, p.f.stableAt(p.inc)
	if p.f.started != nil {
		from = p.f.started.Time
	}
	if from.IsZero() {
		from = p.inc.OpenedAt
	}
	if to.IsZero() || to.Before(from) {
		to = p.inc.OpenedAt
	}
	return from.Add(-time.Minute), to.Add(time.Minute)
}

func (p *postMortem) build() *doc {
	d := &doc{Title: fmt.Sprintf("Post-mortem: %s (%s)", p.inc.Title, p.inc.ID)}
	d.Note = []string{
		"Draft written by Slipway from the event journal. This review is blameless: it describes",
		"what the system and the people in it saw and did, so the system can improve; it does not",
		"look for someone to blame. Complete the Root cause and Action items sections together.",
	}
	if p.src.HTMLName != "" {
		d.Note = append(d.Note, fmt.Sprintf("Charts of the deciding metrics: %s.", p.src.HTMLName))
	}
	d.Sections = append(d.Sections,
		p.summary(), p.response(), p.timeline(), p.metrics(), p.investigation(), p.changes())
	if s, ok := p.fix(); ok {
		d.Sections = append(d.Sections, s)
	}
	d.Sections = append(d.Sections, p.rootCause(), p.wentWell(), p.wentBadly(), p.actionItems())
	return d
}

// commitTable lists commits with their short hash, subject, author and time.
func commitTable(commits []Commit) *table {
	t := &table{Head: []string{"Commit", "Subject", "Author", "Committed"}}
	for _, c := range commits {
		hash := c.Hash
		if len(hash) > 7 {
			hash = hash[:7]
		}
		when := "-"
		if !c.Time.IsZero() {
			when = c.Time.UTC().Format("2006-01-02 15:04 UTC")
		}
		t.Rows = append(t.Rows, []string{"`" + hash + "`", c.Subject, authorName(c.Author), when})
	}
	return t
}

// authorName is the name part of "Name <email>".
func authorName(a string) string {
	if i := strings.Index(a, " <"); i > 0 {
		return a[:i]
	}
	return orDash(a)
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
