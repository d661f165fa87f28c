package main

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseWrk(t *testing.T) {
	out := `Running 1s test @ http://127.0.0.1:1/contracts/42
  2 threads and 4 connections
slipway-wrk: {"requests":698,"duration_us":2000000,"bytes":260354,"errors":{"connect":1,"read":2,"write":3,"status":4,"timeout":5},"latency_us":{"mean":1090.7,"p50":893,"p90":1947,"p99":3850,"max":5679},"counted":true,"non2xx":4,"codes":{"200":694,"502":4},"versions":{"A":698}}
`
	got, err := parseWrk([]byte(out))
	if err != nil {
		t.Fatalf("parseWrk: %v", err)
	}
	if got.Requests != 698 || got.LatencyUS.P50 != 893 || got.Non2xx != 4 || got.SocketErrors() != 11 {
		t.Errorf("parseWrk = %+v, want 698 requests, p50 893, 4 non-2xx, 11 socket errors", got)
	}
	if diff := cmp.Diff(map[string]int64{"200": 694, "502": 4}, got.Codes); diff != "" {
		t.Errorf("codes (-want +got):\n%s", diff)
	}
	if rps := got.RPS(); rps != 349 {
		t.Errorf("RPS() = %v, want 349", rps)
	}

	for _, bad := range []string{
		"unable to connect to 127.0.0.1:1 Connection refused\n",
		"slipway-wrk: {not json\n",
		`slipway-wrk: {"requests":0,"duration_us":1000000}` + "\n",
	} {
		if _, err := parseWrk([]byte(bad)); err == nil {
			t.Errorf("parseWrk(%q) = nil error, want one", bad)
		}
	}
}

func TestParseCodes(t *testing.T) {
	in := `# HELP slipway_router_requests_total Requests proxied.
# TYPE slipway_router_requests_total counter
slipway_router_requests_total{code="200",env="prod",route="GET /contracts/:id",service="bench",version="A"} 1500
slipway_router_requests_total{code="200",env="prod",route="GET /contracts/:id",service="bench",version="B"} 500
slipway_router_requests_total{code="499",env="prod",route="GET /contracts/:id",service="bench",version="B"} 3
slipway_router_requests_total{code="200",env="prod",route="GET /",service="other",version="A"} 7
slipway_router_request_duration_seconds_count{env="prod",route="GET /contracts/:id",service="bench",version="A"} 1500
`
	got, err := parseCodes(strings.NewReader(in))
	if err != nil {
		t.Fatalf("parseCodes: %v", err)
	}
	if diff := cmp.Diff(map[string]float64{"200": 2000, "499": 3}, got); diff != "" {
		t.Errorf("parseCodes (-want +got):\n%s", diff)
	}
	if _, err := parseCodes(strings.NewReader(`slipway_router_requests_total{code="200",service="bench"} x` + "\n")); err == nil {
		t.Error("parseCodes(bad value) = nil error, want one")
	}
}

func TestSwitchPacing(t *testing.T) {
	tests := []struct {
		name     string
		run      switchRun
		delay    int     // pause the baseline ran with
		achieved float64 // rate it achieved
		want     int
	}{
		{"first guess leaves the hold out", switchRun{rate: 500, conns: 16, holdMS: 2}, 30, 0, 30},
		{"a request costs 1 ms beyond hold", switchRun{rate: 500, conns: 16, holdMS: 2}, 30, 16000.0 / 33, 29},
		{"exact rate keeps the pause", switchRun{rate: 500, conns: 16, holdMS: 2}, 30, 500, 30},
		{"a slow baseline shortens by 2 ms at most", switchRun{rate: 500, conns: 16, holdMS: 2}, 30, 279, 28},
		{"never negative", switchRun{rate: 5000, conns: 4, holdMS: 2}, 0, 100, 0},
	}
	for _, tt := range tests {
		got := tt.run.calibrate(tt.delay, tt.achieved)
		if tt.achieved == 0 {
			got = tt.run.delayMS()
		}
		if got != tt.want {
			t.Errorf("%s: calibrate(%d, %.1f) = %d, want %d", tt.name, tt.delay, tt.achieved, got, tt.want)
		}
	}
}

func TestSwitchCycleIsValid(t *testing.T) {
	for _, st := range switchCycle("http://127.0.0.1:1", "http://127.0.0.1:2") {
		if err := benchConfig(st.backends).Validate(); err != nil {
			t.Errorf("step %q: %v", st.name, err)
		}
	}
}

func TestMedian(t *testing.T) {
	if got := median([]int64{300, 100, 200}); got != 200 {
		t.Errorf("median(300,100,200) = %d, want 200", got)
	}
	if got := median([]float64{4, 1, 3, 2}); got != 2 {
		t.Errorf("median(4,1,3,2) = %v, want 2", got)
	}
	if got := median([]int64(nil)); got != 0 {
		t.Errorf("median(nil) = %d, want 0", got)
	}
}

func TestOptionsValidate(t *testing.T) {
	good := options{rate: 500, conns: 16, maxConns: 32, rounds: 1, holdMS: 2,
		switchDur: 10e9, baselineDur: 3e9, throughput: 4e9, latencyDur: 4e9, flipEvery: 250e6}
	if err := good.validate(); err != nil {
		t.Fatalf("validate(good) = %v", err)
	}
	bad := good
	bad.rate, bad.conns, bad.flipEvery = 0, 1, 0
	err := bad.validate()
	if err == nil {
		t.Fatal("validate(bad) = nil, want an error")
	}
	for _, want := range []string{"-rate", "-conns", "-flip"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("validate(bad) = %q, want it to name %s", err, want)
		}
	}
}

func TestPaired(t *testing.T) {
	if got := pairedRatio([]float64{8, 9, 5}, []float64{10, 10, 10}); got != 0.8 {
		t.Errorf("pairedRatio = %v, want 0.8", got)
	}
	if got := pairedRatio([]float64{8}, []float64{0}); got != 0 {
		t.Errorf("pairedRatio(over zero) = %v, want 0", got)
	}
	if got := pairedDiff([]int64{300, 250, 900}, []int64{200, 200, 200}); got != 100 {
		t.Errorf("pairedDiff = %d, want 100", got)
	}
}

func TestParseStat(t *testing.T) {
	line := "13475 (nginx: worker) S 13474 13474 13474 0 -1 4194624 1047 0 0 0 153 87 0 0 20 0 1 0 401455 11616256 1234 18446744073709551615 1 1 0 0 0 0 0 1 2 0 0 0 17 1 0 0 0 0 0\n"
	pgrp, ticks, err := parseStat(line)
	if err != nil {
		t.Fatalf("parseStat: %v", err)
	}
	if pgrp != 13474 || ticks != 240 {
		t.Errorf("parseStat = pgrp %d, ticks %d; want 13474, 240", pgrp, ticks)
	}
	for _, bad := range []string{"", "1 (x S 1 1", "1 (x) S 1 abc 1 0 -1 0 0 0 0 0 1 1"} {
		if _, _, err := parseStat(bad); err == nil {
			t.Errorf("parseStat(%q) = nil error, want one", bad)
		}
	}
}

func TestGroupCPUOfThisProcess(t *testing.T) {
	// The test binary is its own group leader under go test only sometimes; read
	// its own group, whatever it is, and expect some CPU time once it has spun.
	data, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Skip("no /proc here")
	}
	pgrp, _, err := parseStat(string(data))
	if err != nil {
		t.Fatalf("parseStat(/proc/self/stat): %v", err)
	}
	for x := 0; x < 50_000_000; x++ {
		sink += x
	}
	got, err := groupCPU(pgrp)
	if err != nil {
		t.Fatalf("groupCPU(%d): %v", pgrp, err)
	}
	if got <= 0 {
		t.Errorf("groupCPU(%d) = %v, want > 0 after spinning", pgrp, got)
	}
	if _, err := groupCPU(-12345); err == nil {
		t.Error("groupCPU(-12345) = nil error, want one")
	}
}

var sink int
