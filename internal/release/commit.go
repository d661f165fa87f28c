// Package release turns Conventional Commits into the next semantic version and into
// release notes. Commit subjects follow https://www.conventionalcommits.org:
//
//	type(scope)!: description
//
//	body
//
//	BREAKING CHANGE: what broke and what to do
//
// Subjects that do not follow it are kept as "other" changes, never rejected: a
// history is what it is, and a release must still be cut from it.
//
// [Next] turns the commits since the last release into the next version: the
// highest bump wins, a change and its revert in the same range cancel out
// ([Effective]), 0.x versions follow conventional-changelog's pre-major rule and
// a pre-release is finished the way node-semver does it. [NextFor] makes release
// candidates (1.3.0-rc.1, rc.2, ...) on release/* branches. [Notes] renders the
// release notes, whose incidents section [AddIncident] fills in later.
package release

import (
	"errors"
	"regexp"
	"strings"

	"github.com/slipway/slipway/internal/vcs"
)

// Commit is a commit read as a Conventional Commit.
type Commit struct {
	// Hash is the commit's hash when the commit came from git; empty otherwise.
	Hash string
	// Type is the lower-cased type (feat, fix, perf, docs, ...), or empty when the
	// subject is not conventional.
	Type string
	// Scope is the text between parentheses, if any.
	Scope string
	// Subject is the first line of the message as it was written.
	Subject string
	// Breaking is set by "!" before the colon or by a BREAKING CHANGE footer.
	Breaking bool
	// BreakingNotes are the texts of the BREAKING CHANGE footers, in order (a commit
	// may break several things), or the description alone when the change is marked
	// breaking by "!" without a footer.
	BreakingNotes []string
	// Description is the subject after the colon, or the whole subject when it is
	// not conventional.
	Description string
	// Body is the commit message after the subject.
	Body string
	// Footers are the trailing "Token: value" and "Token #value" lines.
	Footers []Footer
	// Merge is set for merge commits ("Merge branch ...", "Merge pull request ...");
	// they carry no change of their own and are left out of versions and notes.
	Merge bool
	// Reverts is set when the commit reverts another: a "revert:" commit or git's
	// `Revert "..."`; nil otherwise.
	Reverts *Reverted
	// Parents are the hashes of the commit's parents, oldest first, when the commit
	// was read with them ([ReadHistory]); nil otherwise.
	Parents []string
}

// Footer is one trailer of a commit message, such as "Refs: #12".
type Footer struct {
	Token, Value string
}

// Conventional reports whether the subject followed the Conventional Commits form.
func (c Commit) Conventional() bool { return c.Type != "" }

// Short returns the first seven characters of the hash.
func (c Commit) Short() string {
	if len(c.Hash) > 7 {
		return c.Hash[:7]
	}
	return c.Hash
}

var (
	subjectRE = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9-]*)(\([^()]*\))?(!)?: (.*)$`)
	footerRE  = regexp.MustCompile(`^(BREAKING CHANGE|BREAKING-CHANGE|[A-Za-z][A-Za-z0-9-]*)(: | #)(.*)$`)
	mergeRE   = regexp.MustCompile(`^Merge (branch|pull request|remote-tracking branch|tag) `)
)

// ErrEmpty is returned by ParseCommit for a commit without a subject.
var ErrEmpty = errors.New("empty commit subject")

// ParseCommit reads a commit message. Only an empty subject is an error: a subject
// that is not conventional gives a Commit with an empty Type.
func ParseCommit(subject, body string) (Commit, error) {
	subject = strings.TrimSpace(subject)
	if subject == "" {
		return Commit{}, ErrEmpty
	}
	c := Commit{Subject: subject, Description: subject, Body: strings.TrimSpace(body)}
	c.Merge = mergeRE.MatchString(subject)
	m := subjectRE.FindStringSubmatch(subject)
	if m != nil && strings.TrimSpace(m[4]) != "" && (m[2] == "" || strings.TrimSpace(strings.Trim(m[2], "()")) != "") {
		c.Type = strings.ToLower(m[1])
		c.Scope = strings.TrimSpace(strings.Trim(m[2], "()"))
		c.Breaking = m[3] == "!"
		c.Description = strings.TrimSpace(m[4])
	}
	c.Footers = parseFooters(c.Body)
	for _, f := range c.Footers {
		if f.Token == "BREAKING CHANGE" || f.Token == "BREAKING-CHANGE" {
			c.Breaking = true
			c.BreakingNotes = append(c.BreakingNotes, f.Value)
		}
	}
	if c.Breaking && len(c.BreakingNotes) == 0 {
		c.BreakingNotes = []string{c.Description}
	}
	c.Reverts = parseRevert(c)
	return c, nil
}

// parseFooters reads the last paragraph of body when it is made of footers. A footer's
// value continues on the following lines until the next footer token.
func parseFooters(body string) []Footer {
	if body == "" {
		return nil
	}
	paras := strings.Split(body, "\n\n")
	last := strings.Split(strings.TrimSpace(paras[len(paras)-1]), "\n")
	if !footerRE.MatchString(last[0]) {
		return nil
	}
	var out []Footer
	for _, line := range last {
		if m := footerRE.FindStringSubmatch(line); m != nil {
			v := m[3]
			if m[2] == " #" {
				v = "#" + v
			}
			out = append(out, Footer{Token: m[1], Value: strings.TrimSpace(v)})
			continue
		}
		f := &out[len(out)-1]
		f.Value = strings.TrimSpace(f.Value + "\n" + strings.TrimSpace(line))
	}
	return out
}

// FromGit parses commits read from git and keeps their hashes. Commits without a
// subject are skipped: git does not create them, but imported histories may.
func FromGit(commits []vcs.Commit) []Commit {
	out := make([]Commit, 0, len(commits))
	for _, vc := range commits {
		c, err := ParseCommit(vc.Subject, vc.Body)
		if err != nil {
			continue
		}
		c.Hash = vc.Hash
		out = append(out, c)
	}
	return out
}
