package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/router"
)

// step is one routing table of the switch test.
type step struct {
	name     string
	backends []router.Backend
}

// switchCycle is what a canary rollout does to the router, and what a rollback
// does: it starts on A alone, rolls a canary of B back at 50%, rolls it out again,
// promotes it, retires A, then rolls back to A late (B retired). Removing a
// version from the table retires its connection pool while requests are in flight.
func switchCycle(a, b string) []step {
	both := func(wa, wb int) []router.Backend {
		return []router.Backend{{Version: "A", URL: a, Weight: wa}, {Version: "B", URL: b, Weight: wb}}
	}
	return []step{
		{"A alone", []router.Backend{{Version: "A", URL: a, Weight: 100}}},
		{"95/5", both(95, 5)},
		{"50/50", both(50, 50)},
		{"rollback 100/0", both(100, 0)},
		{"95/5", both(95, 5)},
		{"50/50", both(50, 50)},
		{"promote 0/100", both(0, 100)},
		{"B alone", []router.Backend{{Version: "B", URL: b, Weight: 100}}},
		// the cycle starts over on "A alone": a late rollback to the warm old stable
	}
}

func benchConfig(backends []router.Backend) router.Config {
	return router.Config{Service: "bench", Env: "prod", Backends: backends}
}

// switchReport is the outcome of the switch test.
type switchReport struct {
	baseline   wrkResult // the same load without routing changes
	delayMS    int       // calibrated pause per request and connection
	wrk        wrkResult
	flips      int
	flipErrors []error
	// routerCodes counts responses by status code as the router's /metrics saw them
	// during the test.
	routerCodes map[string]float64
}

// errors is what the switch cost: non-2xx answers and socket errors seen by wrk,
// and weight changes the router refused.
func (r switchReport) errors() int64 {
	return r.wrk.Non2xx + r.wrk.SocketErrors() + int64(len(r.flipErrors))
}

type switchRun struct {
	rate      int           // target requests per second
	conns     int           // wrk connections (two threads)
	duration  time.Duration // wrk run with routing changes
	baseline  time.Duration // wrk run without, before it
	flipEvery time.Duration // time between routing changes
	holdMS    int           // upstream holds each answer this long, so requests are in flight
}

// delayMS is the first guess at the pause per connection before each request that
// gives about rate requests per second: each connection sends one request every
// conns/rate seconds, of which the upstream's hold is already spent waiting.
func (s switchRun) delayMS() int {
	return max(s.cycleMS()-s.holdMS, 0)
}

// cycleMS is the time between two requests of one connection at the target rate.
func (s switchRun) cycleMS() int {
	return (s.conns*1000 + s.rate/2) / s.rate
}

// calibrate returns the pause that gives the target rate, given the rate a run with
// a pause of delay achieved: what a request costs beyond its pause and the hold
// (proxying, timer slack) is measured rather than guessed, within 2 ms.
func (s switchRun) calibrate(delay int, achieved float64) int {
	if achieved <= 0 {
		return delay
	}
	spentMS := float64(s.conns)*1000/achieved - float64(delay)
	d := int(float64(s.cycleMS()) - spentMS + 0.5)
	// A neighbour's burst during the baseline must not make the switch run flood the
	// router: a request costs at most 2 ms beyond its hold on a healthy machine.
	return min(max(d, s.delayMS()-2, 0), s.delayMS())
}

// runSwitch drives wrk at a fixed rate through the router while changing its
// routing table every flipEvery, cycling through switchCycle until wrk finishes.
func runSwitch(ctx context.Context, w *wrk, routerURL string, admin *router.Client, a, b string, s switchRun) (switchReport, error) {
	cycle := switchCycle(a, b)
	if _, err := admin.Apply(ctx, benchConfig(cycle[0].backends)); err != nil {
		return switchReport{}, fmt.Errorf("switch test: initial routing: %w", err)
	}
	// The baseline runs the same load without routing changes: it calibrates the
	// pause to the target rate and shows what fails when nothing switches.
	load := wrkRun{Threads: 2, Conns: s.conns, Duration: s.baseline, Count: true,
		DelayMS: s.delayMS(), URL: routerURL + benchPath + "?delay_ms=" + strconv.Itoa(s.holdMS)}
	base, err := w.run(ctx, "switch-baseline", load)
	if err != nil {
		return switchReport{}, fmt.Errorf("switch test baseline: %w", err)
	}
	load.DelayMS = s.calibrate(load.DelayMS, base.RPS())
	load.Duration = s.duration
	before, err := scrapeCodes(ctx, admin.AdminURL)
	if err != nil {
		return switchReport{}, err
	}

	type result struct {
		res wrkResult
		err error
	}
	done := make(chan result, 1)
	go func() {
		res, err := w.run(ctx, "switch", load)
		done <- result{res, err}
	}()

	rep := switchReport{baseline: base, delayMS: load.DelayMS}
	tick := time.NewTicker(s.flipEvery)
	defer tick.Stop()
	var res result
	for i := 1; ; i++ {
		select {
		case res = <-done:
		case <-tick.C:
			st := cycle[i%len(cycle)]
			if _, err := admin.Apply(ctx, benchConfig(st.backends)); err != nil {
				rep.flipErrors = append(rep.flipErrors, fmt.Errorf("flip %d (%s): %w", i, st.name, err))
			}
			rep.flips++
			continue
		}
		break
	}
	if res.err != nil {
		return switchReport{}, fmt.Errorf("switch test: %w", res.err)
	}
	rep.wrk = res.res
	after, err := scrapeCodes(ctx, admin.AdminURL)
	if err != nil {
		return switchReport{}, err
	}
	rep.routerCodes = make(map[string]float64)
	for code, n := range after {
		if d := n - before[code]; d > 0 {
			rep.routerCodes[code] = d
		}
	}
	return rep, nil
}

// scrapeCodes sums the router's request counters of service bench by status code.
func scrapeCodes(ctx context.Context, adminURL string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, adminURL+"/metrics", nil)
	if err != nil {
		return nil, fmt.Errorf("scrape router metrics: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape router metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape router metrics: status %d", resp.StatusCode)
	}
	codes, err := parseCodes(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("scrape router metrics: %w", err)
	}
	return codes, nil
}

// parseCodes reads Prometheus text exposition and sums router.MetricRequests of
// service "bench" by its code label.
func parseCodes(r io.Reader) (map[string]float64, error) {
	codes := make(map[string]float64)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, router.MetricRequests+"{") {
			continue
		}
		end := strings.LastIndexByte(line, '}')
		if end < 0 {
			return nil, fmt.Errorf("malformed sample %q", line)
		}
		labels, value := line[len(router.MetricRequests)+1:end], strings.TrimSpace(line[end+1:])
		if label(labels, router.LabelService) != "bench" {
			continue
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return nil, fmt.Errorf("sample %q: %w", line, err)
		}
		codes[label(labels, router.LabelCode)] += v
	}
	return codes, sc.Err()
}

// label returns the value of name in a label list like a="1",b="2" (values here
// carry no escaped quotes).
func label(labels, name string) string {
	for _, kv := range strings.Split(labels, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if ok && k == name {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}
