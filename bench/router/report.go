package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

func printSwitch(rep switchReport) {
	b := rep.baseline
	fmt.Printf("  baseline   %d requests in %.1fs (%.0f req/s), non-2xx %d, socket errors %d, p50 %d us, p99 %d us\n",
		b.Requests, float64(b.DurationUS)/1e6, b.RPS(), b.Non2xx, b.SocketErrors(), b.LatencyUS.P50, b.LatencyUS.P99)
	fmt.Printf("  pause      %d ms per request and connection (calibrated on the baseline)\n", rep.delayMS)
	r := rep.wrk
	fmt.Printf("  switching  %d requests in %.1fs (%.0f req/s), %d routing changes\n",
		r.Requests, float64(r.DurationUS)/1e6, r.RPS(), rep.flips)
	fmt.Printf("  by version %s\n", counts(r.Versions))
	fmt.Printf("  by status  %s (router /metrics: %s)\n", counts(r.Codes), countsF(rep.routerCodes))
	fmt.Printf("  non-2xx %d, socket errors %d (connect %d, read %d, write %d, timeout %d), refused changes %d\n",
		r.Non2xx, r.SocketErrors(), r.Errors.Connect, r.Errors.Read, r.Errors.Write, r.Errors.Timeout, len(rep.flipErrors))
	for _, err := range rep.flipErrors {
		fmt.Printf("  %v\n", err)
	}
	if n := rep.routerCodes["499"]; n > 0 {
		fmt.Printf("  (%.0f answers counted 499 by the router: requests in flight when wrk closed its connections at the end)\n", n)
	}
	verdict := "zero failed requests"
	if rep.errors() > 0 {
		verdict = fmt.Sprintf("FAILED: %d requests or changes failed", rep.errors())
	}
	fmt.Printf("  switch: %s, p50 %d us, p99 %d us, max %d us\n", verdict, r.LatencyUS.P50, r.LatencyUS.P99, r.LatencyUS.Max)
}

// printOverhead prints the medians and the round-by-round comparisons; it returns
// the router's added p50 at the fixed load (us) and its throughput relative to nginx.
func printOverhead(ms []measurement) (addedP50 int64, vsNginx float64) {
	by := make(map[string]measurement, len(ms))
	fmt.Printf("\n  medians   %10s %8s %8s %11s   %11s %8s %8s %7s\n",
		"max req/s", "p50 us", "p99 us", "cpu us/req", "fixed req/s", "p50 us", "p99 us", "errors")
	for _, m := range ms {
		by[m.name] = m
		cpu := "-"
		if len(m.cpuPerReq) > 0 {
			cpu = fmt.Sprintf("%.1f", median(m.cpuPerReq))
		}
		fmt.Printf("  %-9s %10.0f %8d %8d %11s   %11.0f %8d %8d %7d\n", m.name, median(m.rps), median(m.thrP50), median(m.thrP99),
			cpu, median(m.fixedRPS), median(m.fixedP50), median(m.fixedP99), m.errors)
	}
	fmt.Printf("  (cpu us/req: user+system CPU of the proxy process, all its workers, per request at max throughput)\n")
	direct, nginx, bare, rt := by["direct"], by["nginx"], by["go-rp"], by["router"]
	vsNginx = pairedRatio(rt.rps, nginx.rps)
	addedP50 = pairedDiff(rt.fixedP50, direct.fixedP50)
	fmt.Printf("\n  round by round, medians of the ratios and differences:\n")
	fmt.Printf("  router_rps/nginx_rps    = %.2f (goal >= 0.70: %s)\n", vsNginx, met(vsNginx >= 0.7))
	fmt.Printf("  router_cpu/nginx_cpu    = %.2f CPU per request\n", pairedRatio(rt.cpuPerReq, nginx.cpuPerReq))
	fmt.Printf("  router_rps/direct_rps   = %.2f   nginx_rps/direct_rps = %.2f\n",
		pairedRatio(rt.rps, direct.rps), pairedRatio(nginx.rps, direct.rps))
	fmt.Printf("  router_p50 - direct_p50 = %d us at the fixed load (goal < 100: %s), %d us at max throughput\n",
		addedP50, met(addedP50 < 100), pairedDiff(rt.thrP50, direct.thrP50))
	fmt.Printf("  nginx_p50 - direct_p50  = %d us at the fixed load, %d us at max throughput\n",
		pairedDiff(nginx.fixedP50, direct.fixedP50), pairedDiff(nginx.thrP50, direct.thrP50))
	if len(bare.rps) > 0 {
		fmt.Printf("  go-rp (httputil.ReverseProxy alone): go-rp_rps/nginx_rps = %.2f, router_rps/go-rp_rps = %.2f,\n"+
			"      router_cpu/go-rp_cpu = %.2f, go-rp_p50 - direct_p50 = %d us and router_p50 - go-rp_p50 = %d us at the fixed load\n",
			pairedRatio(bare.rps, nginx.rps), pairedRatio(rt.rps, bare.rps), pairedRatio(rt.cpuPerReq, bare.cpuPerReq),
			pairedDiff(bare.fixedP50, direct.fixedP50), pairedDiff(rt.fixedP50, bare.fixedP50))
	}
	return addedP50, vsNginx
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func met(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func counts(m map[string]int64) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return strings.Join(parts, " ")
}

func countsF(m map[string]float64) string {
	if len(m) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s=%.0f", k, m[k]))
	}
	return strings.Join(parts, " ")
}
