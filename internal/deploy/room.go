package deploy

import (
	"fmt"

	"github.com/slipway/slipway/internal/analysis/process"
	"github.com/slipway/slipway/internal/runtime"
)

// Room says whether this machine can run n more instances like the given ones.
type Room func(like []runtime.Instance, n int) error

// MemoryRoom is the default Room: n instances as large as the largest of like,
// and as much again for headroom, must fit in the memory the kernel reports
// available. A baseline doubles a candidate's footprint; on a full machine it
// would push the stable into swap or the OOM killer, which no comparison is worth.
// Where memory cannot be read (not Linux, no /proc) it does not refuse.
func MemoryRoom(like []runtime.Instance, n int) error {
	avail, err := process.AvailableMemory()
	if err != nil {
		return nil
	}
	var largest float64
	for _, in := range like {
		if in.PID <= 0 {
			continue
		}
		if rss, err := process.ResidentBytes(in.PID); err == nil && rss > largest {
			largest = rss
		}
	}
	return fitRoom(largest, avail, n)
}

// fitRoom is MemoryRoom's rule on numbers: 2 x n x size must fit in avail.
func fitRoom(size, avail float64, n int) error {
	if need := 2 * float64(n) * size; need > avail {
		return fmt.Errorf("%d more instances of %.0f MiB need %.0f MiB with headroom, %.0f MiB available",
			n, size/(1<<20), need/(1<<20), avail/(1<<20))
	}
	return nil
}
