package release

import "github.com/Masterminds/semver/v3"

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
// is major, feat is minor, fix and perf are patch; everything else, including
// subjects that are not conventional and merge commits, moves nothing.
func BumpOf(c Commit) Bump {
	switch {
	case c.Merge:
		return None
	case c.Breaking:
		return Major
	case c.Type == "feat":
		return Minor
	case c.Type == "fix" || c.Type == "perf":
		return Patch
	default:
		return None
	}
}

// Next returns the version after current given the commits since it, and the bump
// that was applied. The highest bump among the commits wins.
//
// Below 1.0.0 the public API is not yet stable, and reaching 1.0.0 is a decision for
// people (tag it), not for commit messages: a breaking change bumps the minor
// version (0.3.1 -> 0.4.0) and reports Minor; features and fixes bump as usual.
//
// A nil current means nothing was released yet and counts as 0.0.0, so the first
// feature gives 0.1.0. When no commit is releasable, Next returns current and None.
// A pre-release current (1.2.0-rc.1) is finished by a patch bump (1.2.0).
func Next(current *semver.Version, commits []Commit) (*semver.Version, Bump) {
	bump := None
	for _, c := range commits {
		bump = max(bump, BumpOf(c))
	}
	if bump == None {
		return current, None
	}
	v := current
	if v == nil {
		v = semver.New(0, 0, 0, "", "")
	}
	if v.Major() == 0 && bump == Major {
		bump = Minor
	}
	var next semver.Version
	switch bump {
	case Major:
		next = v.IncMajor()
	case Minor:
		next = v.IncMinor()
	default:
		next = v.IncPatch()
	}
	return &next, bump
}
