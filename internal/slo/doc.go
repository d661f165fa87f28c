// Package slo turns a service's objectives (the slo section of slipway.yaml) into
// multi-window, multi-burn-rate alerts as the SRE workbook describes them, and
// evaluates them on the embedded default from the router's per-version counts.
//
// Burn rate is the error ratio divided by the error budget (1 - objective): at 1 the
// budget lasts exactly the objective's window. Three tiers watch it, each firing
// only when a long and a short window both burn at least the tier's rate, so an
// alert fires fast on a sharp problem and stops soon after it ends:
//
//	page    1h and 5m   burn >= 14.4  (2% of a 30d budget spent in 1h)
//	page    6h and 30m  burn >= 6     (5% in 6h)
//	ticket  3d and 6h   burn >= 1     (10% in 3d)
//
// The rates follow from the budget share each tier spends in its long window, so a
// 28d objective gets 13.44, 5.6 and 0.93. Each window must also hold min-requests
// requests: a handful of requests says nothing of a ratio.
//
// The counts are kept per minute in SQLite (see [Samples]), for each service,
// environment and version, for the longest window and no longer. At scale the same
// alerts run in Prometheus: [Rules] writes them as a rule file over the router's
// series, and Alertmanager posts what fires back to Slipway.
package slo
