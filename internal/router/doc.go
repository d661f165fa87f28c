// Package router is Slipway's local traffic splitter: a weighted reverse proxy that
// sits in front of one service's instances in one environment, one backend per
// version.
//
// The router is the data plane. It runs as its own process (see Run), apart from the
// control plane, so traffic keeps flowing with the last weights it was given when the
// control plane dies, restarts or is upgraded. The control plane writes desired weights
// through the admin HTTP API (PUT /config, or Client.Apply); the router persists the
// applied Config to its state file before acknowledging and loads it again at start,
// so its own restart keeps the weights too.
//
// Per request the router picks a backend at random in proportion to the weights. The
// active configuration is swapped atomically: a weight change, a promotion or a rollback
// drops no request, and a request in flight finishes on the backend that took it.
// Every proxied response carries the header X-Slipway-Version with the version that
// served it.
//
// The admin port also serves GET /metrics in the Prometheus exposition format:
//
//	slipway_router_requests_total{service,env,version,track,route,code}        counter
//	slipway_router_request_duration_seconds{service,env,version,track,route}   histogram
//	slipway_router_backend_weight{service,env,version}                         gauge
//
// track is "main", or "baseline" for the instances of the stable version a rollout
// starts beside its candidate to compare it with: same version, fresh processes.
//
// route is the method and the path with ID-like segments (digits, UUIDs, long hex)
// replaced by ":id", for example "GET /contracts/:id"; past 100 distinct routes the
// rest are counted as "other".
package router
