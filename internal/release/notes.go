package release

import (
	"fmt"
	"strings"
	"time"
)

// Notes is what the release notes of one version say.
type Notes struct {
	Version string
	// Previous is the tag the version follows; empty for a first release.
	Previous string
	// Date is the release date (the released commit's time).
	Date time.Time
	// Commits are the commits since Previous, oldest first. Merge commits are
	// left out; a change and its revert in the same range are left out together
	// ([Effective]).
	Commits []Commit
	// CommitURL links each entry to its commit: "{hash}" is replaced with the
	// full hash and "{short}" with the first seven characters, e.g.
	// https://github.com/acme/contract-api/commit/{hash}. Empty: entries end with
	// the short hash, unlinked.
	CommitURL string
	// Artifact is what was built for the version; nil leaves the section out.
	Artifact *Artifact
	// Incidents are the incidents this version caused so far. The section is
	// always written ("None recorded.") so that [AddIncident] has a place to
	// fill in when one opens after the release.
	Incidents []Incident
}

// Artifact is what the notes say about a version's artifact: where to get it by
// digest and where its SBOM, signature and provenance are.
type Artifact struct {
	// Ref is the image reference by digest, "contract-api:1.12.0@sha256:...".
	Ref string
	// Registry is the reference by digest in an OCI registry, when it was pushed.
	Registry string
	// SBOM, Signature and Provenance are references to the attachments: registry
	// tags (host/repo:sha256-<hex>.att) or files.
	SBOM, Signature, Provenance string
	// Components in the SBOM and known vulnerabilities found by the scan.
	Components, Vulnerabilities int
}

// Incident is one line of the notes' incidents section.
type Incident struct {
	ID, Env, Status, Title string
	Opened                 time.Time
	// PostMortem is a link to the post-mortem draft, relative to the notes file
	// or absolute; empty when there is none yet.
	PostMortem string
}

// Entry headings, in the order they are written. Breaking changes come first;
// a commit listed there is not repeated under its type.
var sections = []struct{ title, types string }{
	{"Features", "feat"},
	{"Fixes", "fix"},
	{"Performance", "perf"},
	{"Reverts", "revert"},
	{"Documentation", "docs"},
	{"Refactoring", "refactor"},
	{"Tests", "test"},
	{"Build and CI", "build ci"},
	{"Chores", "chore"},
}

const incidentsHeading = "### Incidents"

// Markdown renders the notes: the version and date, breaking changes first (each
// with its notes), then one section per commit type, then the artifact, then the
// incidents the version caused. Every entry ends with its commit, linked when
// CommitURL is set.
func (n Notes) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s (%s)\n", n.Version, n.Date.UTC().Format("2006-01-02"))
	if n.Previous != "" {
		fmt.Fprintf(&b, "\nChanges since %s.\n", n.Previous)
	}
	groups := map[string][]Commit{}
	var breaking, other []Commit
	for _, c := range Effective(n.Commits) {
		switch {
		case c.Merge:
		case c.Breaking:
			breaking = append(breaking, c)
		case c.Reverts != nil:
			groups["Reverts"] = append(groups["Reverts"], c)
		default:
			placed := false
			for _, s := range sections {
				if c.Type != "" && strings.Contains(" "+s.types+" ", " "+c.Type+" ") {
					groups[s.title] = append(groups[s.title], c)
					placed = true
					break
				}
			}
			if !placed {
				other = append(other, c)
			}
		}
	}
	total := len(breaking) + len(other)
	for _, s := range sections {
		total += len(groups[s.title])
	}
	if total == 0 {
		b.WriteString("\nNo changes.\n")
	}
	n.section(&b, "Breaking changes", breaking, func(c Commit) string {
		line := n.entry(c, c.Description)
		notes := c.BreakingNotes
		if len(notes) == 1 && notes[0] == c.Description {
			return line
		}
		for _, note := range notes {
			line += "\n  - " + strings.ReplaceAll(note, "\n", "\n    ")
		}
		return line
	})
	for _, s := range sections {
		n.section(&b, s.title, groups[s.title], func(c Commit) string {
			if c.Reverts != nil && c.Type == "" {
				return n.entry(c, "revert "+c.Reverts.Subject)
			}
			return n.entry(c, c.Description)
		})
	}
	n.section(&b, "Other", other, func(c Commit) string {
		text := c.Description
		if c.Conventional() {
			prefix := c.Type
			if c.Scope != "" {
				prefix += "(" + c.Scope + ")"
			}
			text = prefix + ": " + c.Description
		}
		c.Scope = ""
		return n.entry(c, text)
	})
	if a := n.Artifact; a != nil {
		b.WriteString("\n### Artifact\n\n")
		item := func(label, value string) {
			if value != "" {
				fmt.Fprintf(&b, "- %s: `%s`\n", label, value)
			}
		}
		item("Image", a.Ref)
		item("Registry", a.Registry)
		item(fmt.Sprintf("SBOM (CycloneDX, %d components)", a.Components), a.SBOM)
		item("Signature", a.Signature)
		item("Provenance (SLSA)", a.Provenance)
		fmt.Fprintf(&b, "- Known vulnerabilities: %d\n", a.Vulnerabilities)
	}
	b.WriteString(incidentsSection(n.Incidents))
	return b.String()
}

func (n Notes) section(b *strings.Builder, title string, commits []Commit, line func(Commit) string) {
	if len(commits) == 0 {
		return
	}
	fmt.Fprintf(b, "\n### %s\n\n", title)
	for _, c := range commits {
		fmt.Fprintf(b, "- %s\n", line(c))
	}
}

func (n Notes) entry(c Commit, text string) string {
	s := text
	if c.Scope != "" {
		s = "**" + c.Scope + ":** " + text
	}
	short := c.Short()
	switch {
	case short == "":
	case n.CommitURL != "":
		url := strings.NewReplacer("{hash}", c.Hash, "{short}", short).Replace(n.CommitURL)
		s += " ([" + short + "](" + url + "))"
	default:
		s += " (" + short + ")"
	}
	return s
}

// incidentsSection renders the last section of the notes.
func incidentsSection(incs []Incident) string {
	var b strings.Builder
	b.WriteString("\n" + incidentsHeading + "\n\n")
	if len(incs) == 0 {
		b.WriteString("None recorded.\n")
	}
	for _, inc := range incs {
		b.WriteString(inc.line() + "\n")
	}
	return b.String()
}

func (inc Incident) line() string {
	s := "- **" + inc.ID + "**"
	var facts []string
	if inc.Env != "" {
		facts = append(facts, inc.Env)
	}
	if !inc.Opened.IsZero() {
		facts = append(facts, "opened "+inc.Opened.UTC().Format("2006-01-02 15:04 UTC"))
	}
	if inc.Status != "" {
		facts = append(facts, inc.Status)
	}
	if len(facts) > 0 {
		s += " (" + strings.Join(facts, ", ") + ")"
	}
	if inc.Title != "" {
		s += ": " + strings.ReplaceAll(inc.Title, "\n", " ")
	}
	if inc.PostMortem != "" {
		s += " - [post-mortem](" + inc.PostMortem + ")"
	}
	return s
}

// AddIncident returns notes with inc in their incidents section: its line
// replaces the line of the same incident (its status moved on) or is added
// after the others. Notes without the section (written before Slipway kept one)
// get it appended. Adding the same incident twice changes nothing.
func AddIncident(notes string, inc Incident) string {
	head, entries := splitIncidents(notes)
	prefix := "- **" + inc.ID + "**"
	replaced := false
	for i, e := range entries {
		if e == prefix || strings.HasPrefix(e, prefix+" ") || strings.HasPrefix(e, prefix+":") {
			entries[i], replaced = inc.line(), true
		}
	}
	if !replaced {
		entries = append(entries, inc.line())
	}
	return head + joinIncidents(entries)
}

// CarryIncidents returns notes with the incidents section of old: what a
// regenerated notes file must not lose.
func CarryIncidents(old, notes string) string {
	_, entries := splitIncidents(old)
	head, _ := splitIncidents(notes)
	return head + joinIncidents(entries)
}

// splitIncidents cuts notes before their incidents section and returns the
// section's entries.
func splitIncidents(notes string) (head string, entries []string) {
	i := strings.LastIndex(notes, "\n"+incidentsHeading+"\n")
	if i < 0 {
		return strings.TrimRight(notes, "\n") + "\n", nil
	}
	for line := range strings.SplitSeq(notes[i+len(incidentsHeading)+2:], "\n") {
		if strings.HasPrefix(line, "- ") {
			entries = append(entries, line)
		}
	}
	return notes[:i], entries
}

func joinIncidents(entries []string) string {
	s := "\n" + incidentsHeading + "\n\n"
	if len(entries) == 0 {
		return s + "None recorded.\n"
	}
	return s + strings.Join(entries, "\n") + "\n"
}
