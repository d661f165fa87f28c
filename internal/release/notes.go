package release

import (
	"fmt"
	"strings"
	"time"
)

// Notes renders markdown release notes for version: breaking changes first (with
// their notes), then features, fixes and everything else, each line ending with the
// commit's short hash. Merge commits are left out. Commits keep their given order.
func Notes(version string, date time.Time, commits []Commit) string {
	var breaking, feats, fixes, other []Commit
	for _, c := range commits {
		switch {
		case c.Merge:
		case c.Breaking:
			breaking = append(breaking, c)
		case c.Type == "feat":
			feats = append(feats, c)
		case c.Type == "fix" || c.Type == "perf":
			fixes = append(fixes, c)
		default:
			other = append(other, c)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "## %s (%s)\n", version, date.Format("2006-01-02"))
	if len(breaking)+len(feats)+len(fixes)+len(other) == 0 {
		b.WriteString("\nNo changes.\n")
		return b.String()
	}
	section(&b, "Breaking changes", breaking, func(c Commit) string {
		line := entry(c, c.Description)
		if c.BreakingNote != "" && c.BreakingNote != c.Description {
			line += "\n  " + strings.ReplaceAll(c.BreakingNote, "\n", "\n  ")
		}
		return line
	})
	section(&b, "Features", feats, func(c Commit) string { return entry(c, c.Description) })
	section(&b, "Fixes", fixes, func(c Commit) string { return entry(c, c.Description) })
	section(&b, "Other", other, func(c Commit) string {
		text := c.Description
		if c.Conventional() {
			prefix := c.Type
			if c.Scope != "" {
				prefix += "(" + c.Scope + ")"
			}
			text = prefix + ": " + c.Description
		}
		c.Scope = ""
		return entry(c, text)
	})
	return b.String()
}

func section(b *strings.Builder, title string, commits []Commit, line func(Commit) string) {
	if len(commits) == 0 {
		return
	}
	fmt.Fprintf(b, "\n### %s\n\n", title)
	for _, c := range commits {
		fmt.Fprintf(b, "- %s\n", line(c))
	}
}

func entry(c Commit, text string) string {
	s := text
	if c.Scope != "" {
		s = "**" + c.Scope + ":** " + text
	}
	if h := c.Short(); h != "" {
		s += " (" + h + ")"
	}
	return s
}
