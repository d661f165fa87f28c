package release

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
)

// mergedBranchRE finds the branch a merge commit's subject names: git's
// "Merge branch 'fix/x'" (and "... into main"), "Merge remote-tracking branch
// 'origin/fix/x'", and a forge's "Merge pull request #12 from org/hotfix/y".
var mergedBranchRE = regexp.MustCompile(`^Merge (?:branch '([^']+)'|remote-tracking branch '([^']+)'|pull request #\d+ from (\S+))`)

// HotfixBranch reports whether a merge subject names a fix/* or hotfix/* branch.
func HotfixBranch(subject string) bool {
	m := mergedBranchRE.FindStringSubmatch(strings.TrimSpace(subject))
	if m == nil {
		return false
	}
	isFix := func(b string) bool { return strings.HasPrefix(b, "fix/") || strings.HasPrefix(b, "hotfix/") }
	switch {
	case m[1] != "":
		return isFix(m[1])
	case m[2] != "": // remote/branch
		_, b, _ := strings.Cut(m[2], "/")
		return isFix(b)
	default: // owner/branch, or a bare branch
		_, b, _ := strings.Cut(m[3], "/")
		return isFix(m[3]) || isFix(b)
	}
}

// Hotfix reports whether a release made of history takes the hotfix profile. The
// hotfix profile is for changes that came through the hotfix path: every
// releasable commit is a fix (not perf, not breaking: a patch release of fixes
// only), and each of them reached the released branch through the merge of a
// fix/* or hotfix/* branch. A perf commit, a fix committed straight to main, any
// feature or breaking change, or a history with nothing releasable takes the
// standard rollout, whose checks (latency included) all apply.
//
// history is every commit the release holds, merges included, each with its
// Parents, as [ReadHistory] returns them. A commit is carried by a merge when it
// is reachable from one of the merge's later parents but not from its first
// parent (the branch merged into), within history. Without parents no commit can
// be shown to have come through a merge, and Hotfix is false.
func Hotfix(history []Commit) bool {
	byHash := make(map[string]Commit, len(history))
	for _, c := range history {
		if c.Hash != "" {
			byHash[c.Hash] = c
		}
	}
	carried := map[string]bool{} // commits brought in by hotfix-branch merges
	for _, m := range history {
		if !m.Merge || len(m.Parents) < 2 || !HotfixBranch(m.Description) {
			continue
		}
		base := ancestors(byHash, m.Parents[:1])
		for h := range ancestors(byHash, m.Parents[1:]) {
			if !base[h] {
				carried[h] = true
			}
		}
	}
	fixes := 0
	for _, c := range history {
		switch b := BumpOf(c); {
		case b == None:
			continue
		case b != Patch || c.Type != "fix" || !carried[c.Hash]:
			return false
		}
		fixes++
	}
	return fixes > 0
}

// ancestors returns from and every commit reachable from them, within byHash.
func ancestors(byHash map[string]Commit, from []string) map[string]bool {
	seen := map[string]bool{}
	stack := append([]string(nil), from...)
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		c, ok := byHash[h]
		if !ok || seen[h] {
			continue
		}
		seen[h] = true
		stack = append(stack, c.Parents...)
	}
	return seen
}

// ReadHistory returns the commits reachable from to but not from from in the git
// repository at dir, merges included, each with its parents, oldest first. An
// empty from reads the whole history of to.
func ReadHistory(ctx context.Context, dir, from, to string) ([]Commit, error) {
	rng := to
	if from != "" {
		rng = from + ".." + to
	}
	if strings.HasPrefix(from, "-") || strings.HasPrefix(to, "-") || to == "" {
		return nil, fmt.Errorf("read history %s: not a range of refs", rng)
	}
	const field, record = "\x1f", "\x1e"
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "log", "--topo-order", "--reverse",
		"--format=%H%x1f%P%x1f%s%x1f%b%x1e", rng, "--").Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return nil, fmt.Errorf("read history %s in %s: %w: %s", rng, dir, err, strings.TrimSpace(string(ee.Stderr)))
		}
		return nil, fmt.Errorf("read history %s in %s: %w", rng, dir, err)
	}
	var commits []Commit
	for rec := range strings.SplitSeq(string(out), record) {
		rec = strings.TrimLeft(rec, "\n")
		if rec == "" {
			continue
		}
		f := strings.SplitN(rec, field, 4)
		if len(f) != 4 {
			return nil, fmt.Errorf("read history %s in %s: unexpected record %q", rng, dir, rec)
		}
		c, err := ParseCommit(f[2], strings.TrimRight(f[3], "\n"))
		if err != nil {
			continue // no subject: nothing to release, nothing to judge
		}
		c.Hash, c.Parents = f[0], strings.Fields(f[1])
		commits = append(commits, c)
	}
	return commits, nil
}

// HotfixPath reads the history between the tags or commits from and to in the
// repository at dir and reports whether it is a hotfix (see [Hotfix]). A history
// that cannot be read is not one: the release takes the standard rollout.
func HotfixPath(ctx context.Context, dir, from, to string) bool {
	history, err := ReadHistory(ctx, dir, from, to)
	return err == nil && Hotfix(history)
}
