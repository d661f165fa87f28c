package release

import (
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// Bump is how much a version moves.
type Bump int

// Bumps, from none to major.
const (
	None Bump = iota
	Patch
	Minor
	Major
)

func (b Bump) String() string {
	switch b {
	case Patch:
		return "patch"
	case Minor:
		return "minor"
	case Major:
		return "major"
	default:
		return "none"
	}
}

// BumpOf says how far one commit moves a 1.x (or later) version: a breaking change
// is major, feat is minor, fix, perf and a revert are patch; everything else,
// including subjects that are not conventional and merge commits, moves nothing.
// A revert reaching BumpOf undoes something already released (see [Effective]).
func BumpOf(c Commit) Bump {
	switch {
	case c.Merge:
		return None
	case c.Breaking:
		return Major
	case c.Reverts != nil:
		return Patch
	case c.Type == "feat":
		return Minor
	case c.Type == "fix" || c.Type == "perf":
		return Patch
	default:
		return None
	}
}

// highest is the largest bump among the commits that still count once reverts
// are taken out.
func highest(commits []Commit) Bump {
	bump := None
	for _, c := range Effective(commits) {
		bump = max(bump, BumpOf(c))
	}
	return bump
}

// Next returns the version after current given the commits since it, oldest
// first, and the bump that was applied. The highest bump among the commits wins,
// after a change and its revert in the same range have cancelled out ([Effective]).
//
// Below 1.0.0 the public API is not yet stable and reaching 1.0.0 is a decision
// for people (tag v1.0.0), not for commit messages. Slipway follows
// conventional-changelog's pre-major rule, which standard-version applies below
// 1.0.0 by default: a breaking change bumps the minor version (0.3.1 -> 0.4.0) and
// a feature bumps the patch version (0.3.1 -> 0.3.2), so that a 0.x minor always
// signals a break, as npm's ^0.3 and Cargo's 0.3 ranges read it. The bump
// reported is the one applied.
//
// A nil or 0.0.0 current means nothing was released yet: the first release is
// 0.1.0 when it has a feature or a breaking change, 0.0.1 for fixes alone.
//
// A pre-release current (1.3.0-rc.2) is finished the way node-semver's inc, and
// so semantic-release, does it: the release is 1.3.0 unless the commits ask for
// more than 1.3.0 already is over its predecessor (a x.y.0 is a minor, a x.0.0 a
// major, anything else a patch); then the bump applies to 1.3.0 (a breaking change
// after 1.3.0-rc.2 gives 2.0.0). Finishing a pre-release needs no releasable commit
// of its own: merging release/1.3 into main releases 1.3.0.
//
// When nothing is releasable, Next returns current and None.
func Next(current *semver.Version, commits []Commit) (*semver.Version, Bump) {
	bump := highest(commits)
	v := current
	if v == nil {
		v = semver.New(0, 0, 0, "", "")
	}
	if v.Prerelease() != "" {
		core := semver.New(v.Major(), v.Minor(), v.Patch(), "", "")
		bump = preMajor(core, bump)
		if implied := impliedBump(core); bump <= implied {
			return core, implied
		}
		return inc(core, bump), bump
	}
	if bump == None {
		return current, None
	}
	if v.Major() == 0 && v.Minor() == 0 && v.Patch() == 0 {
		if bump >= Minor {
			return semver.New(0, 1, 0, "", ""), Minor
		}
		return semver.New(0, 0, 1, "", ""), Patch
	}
	bump = preMajor(v, bump)
	return inc(v, bump), bump
}

// preMajor lowers a bump below 1.0.0: breaking -> minor, feature -> patch.
func preMajor(v *semver.Version, b Bump) Bump {
	if v.Major() != 0 {
		return b
	}
	switch b {
	case Major:
		return Minor
	case Minor:
		return Patch
	}
	return b
}

// impliedBump is how far a released core version is from its predecessor, as far
// as its shape says: 2.0.0 a major, 1.3.0 a minor, 1.3.1 a patch.
func impliedBump(v *semver.Version) Bump {
	switch {
	case v.Patch() != 0:
		return Patch
	case v.Minor() != 0:
		return Minor
	case v.Major() != 0:
		return Major
	}
	return Patch
}

func inc(v *semver.Version, b Bump) *semver.Version {
	var next semver.Version
	switch b {
	case Major:
		next = v.IncMajor()
	case Minor:
		next = v.IncMinor()
	default:
		next = v.IncPatch()
	}
	return &next
}

// Channel is the pre-release identifier a branch releases with: "rc" for
// release/* branches (release/1.3 publishes 1.3.0-rc.1, rc.2, ...), "" for
// every other branch, which releases final versions.
func Channel(branch string) string {
	if strings.HasPrefix(branch, "release/") {
		return "rc"
	}
	return ""
}

// NextFor is [Next] for a release made from branch: on a branch with a
// [Channel] it returns [NextPre] with that identifier.
func NextFor(branch string, current *semver.Version, commits []Commit) (*semver.Version, Bump) {
	if id := Channel(branch); id != "" {
		return NextPre(current, commits, id)
	}
	return Next(current, commits)
}

// NextPre returns the next pre-release with identifier id (such as "rc"): the
// version [Next] would release, with "-<id>.N" appended. N is one more than the
// current pre-release's when current is a pre-release of that same version and
// identifier (1.3.0-rc.1 -> 1.3.0-rc.2), and 1 otherwise (1.2.4 + feat ->
// 1.3.0-rc.1). A pre-release needs a releasable commit since current: without
// one NextPre returns current and None.
func NextPre(current *semver.Version, commits []Commit, id string) (*semver.Version, Bump) {
	if highest(commits) == None {
		return current, None
	}
	next, bump := Next(current, commits)
	n := 1
	if current != nil {
		core := semver.New(current.Major(), current.Minor(), current.Patch(), "", "")
		if rest, ok := strings.CutPrefix(current.Prerelease(), id+"."); ok && core.Equal(next) {
			if k, err := strconv.Atoi(rest); err == nil {
				n = k + 1
			}
		}
	}
	pre, err := next.SetPrerelease(id + "." + strconv.Itoa(n))
	if err != nil { // id is not a valid identifier: release the final version
		return next, bump
	}
	return &pre, bump
}
