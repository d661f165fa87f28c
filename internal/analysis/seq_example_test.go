package analysis_test

import (
	"encoding/json"
	"fmt"

	"github.com/slipway/slipway/internal/analysis"
)

func ExampleSequential_Observe() {
	judge := analysis.Sequential{Alpha: 0.01, MinRequests: 100}
	var st analysis.SeqState // persisted with the rollout between ticks
	// Two scrapes, one second apart: the traffic of each interval, per version.
	ticks := []struct{ candidate, stable analysis.Series }{
		{analysis.Series{Requests: 10, Errors: 1}, analysis.Series{Requests: 190}},
		{analysis.Series{Requests: 9, Errors: 1}, analysis.Series{Requests: 191}},
	}
	for _, tick := range ticks {
		next, res, err := judge.Observe(st, tick.candidate, tick.stable)
		if err != nil {
			fmt.Println(err)
			return
		}
		st = next
		fmt.Printf("%s: e-value %.0f (threshold %.0f), leading %s\n", res.Outcome, res.EValue, res.Threshold, res.Leading)
	}
	blob, _ := json.Marshal(st)
	var resumed analysis.SeqState
	fmt.Println(json.Unmarshal(blob, &resumed) == nil && resumed.Failed)
	// Output:
	// inconclusive: e-value 10 (threshold 100), leading errors
	// fail: e-value 193 (threshold 100), leading errors
	// true
}
