//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package artifact

// lockFile is a no-op where flock(2) is missing: there the in-process mutex
// is the only guard, and one process must own a store directory.
func lockFile(string) (func(), error) { return func() {}, nil }
