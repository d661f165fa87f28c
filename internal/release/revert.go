package release

import (
	"regexp"
	"strings"
)

// Reverted names the commit a revert undoes, as far as the revert's message says.
type Reverted struct {
	// Hashes are the commits named by "This reverts commit <hash>." (git's
	// wording) or by a "Refs:" footer of hashes (the Conventional Commits
	// example); full hashes or prefixes of at least seven digits.
	Hashes []string
	// Subject is the reverted commit's subject: the quoted text of git's
	// `Revert "..."`, or the description of a "revert:" commit.
	Subject string
}

var (
	gitRevertRE  = regexp.MustCompile(`^Revert "(.*)"$`)
	revertsRE    = regexp.MustCompile(`(?m)This reverts commit ([0-9a-fA-F]{7,64})`)
	hashFooterRE = regexp.MustCompile(`^[0-9a-fA-F]{7,64}$`)
)

// parseRevert reads what c reverts, or returns nil when c is not a revert.
func parseRevert(c Commit) *Reverted {
	var r Reverted
	switch {
	case c.Type == "revert":
		r.Subject = c.Description
	case c.Type == "":
		m := gitRevertRE.FindStringSubmatch(c.Subject)
		if m == nil {
			return nil
		}
		r.Subject = m[1]
	default:
		return nil
	}
	for _, m := range revertsRE.FindAllStringSubmatch(c.Body, -1) {
		r.Hashes = append(r.Hashes, strings.ToLower(m[1]))
	}
	for _, f := range c.Footers {
		if !strings.EqualFold(f.Token, "Refs") {
			continue
		}
		for h := range strings.FieldsFuncSeq(f.Value, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
			if hashFooterRE.MatchString(h) {
				r.Hashes = append(r.Hashes, strings.ToLower(h))
			}
		}
	}
	return &r
}

// Effective returns the commits of a range, oldest first, without the reverts
// whose reverted commit is in the same range and without those reverted commits:
// a change made and undone between two releases changes nothing, for the version
// and for the notes. The reverted commit is found by hash when the revert names
// one (and only then), else by subject (the latest earlier commit with exactly that subject). A
// revert of a revert brings the first change back. A revert whose target is not
// in the range (it undoes something already released) stays, and is a patch.
func Effective(commits []Commit) []Commit {
	undone := make([]bool, len(commits)) // reverted by a later commit of the range
	undid := make(map[int][]int)         // revert index -> the commits it undid
	for i, c := range commits {
		if c.Reverts == nil || c.Merge {
			continue
		}
		targets := revertTargets(commits[:i], undone, c.Reverts)
		for _, j := range targets {
			undone[j] = true
			for _, k := range undid[j] { // an undone revert undoes nothing
				undone[k] = false
			}
		}
		if len(targets) > 0 {
			undid[i] = targets
		}
	}
	out := make([]Commit, 0, len(commits))
	for i, c := range commits {
		if !undone[i] && len(undid[i]) == 0 {
			out = append(out, c)
		}
	}
	return out
}

// revertTargets finds the earlier, still effective commits r names.
func revertTargets(earlier []Commit, undone []bool, r *Reverted) []int {
	var out []int
	for _, h := range r.Hashes {
		for j, c := range earlier {
			if !undone[j] && c.Hash != "" && strings.HasPrefix(strings.ToLower(c.Hash), h) {
				out = append(out, j)
				break
			}
		}
	}
	if len(r.Hashes) > 0 || r.Subject == "" {
		return out // a named hash is authoritative: no guessing by subject
	}
	for j := len(earlier) - 1; j >= 0; j-- {
		if !undone[j] && !earlier[j].Merge && earlier[j].Subject == r.Subject {
			return []int{j}
		}
	}
	return nil
}
