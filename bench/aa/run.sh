#!/usr/bin/env bash
# A/A check of canary analysis on real processes under load: quote-api rolled out
# again and again through Slipway's router and rollout controller, two builds of the
# same code serving the same background errors and latency jitter (every rollback is
# a false one), then a build with a real latency regression (every one should roll
# back). Two lanes roll out at the same time, while CPU hogs and a `go build -a`
# loop load the machine to about four times its cores.
#
#   bench/aa/run.sh                 # 30 A/A rollouts, 10 regressions
#   bench/aa/run.sh -runs 5 -regressions 2
#   NOISE=0 bench/aa/run.sh         # without the extra load
#
# Arguments go to the driver (go run ./bench/aa -h lists them).
set -euo pipefail
cd "$(dirname "$0")/../.."
hogs=$(( $(nproc) * 2 ))
pids=()
bin=$(mktemp -d)
stop_noise() {
  for p in "${pids[@]}"; do kill -- "-$p" 2>/dev/null || true; done
  rm -rf "$bin"
}
trap stop_noise EXIT
if [ "${NOISE:-1}" != 0 ]; then
  # CPU hogs plus a build loop of this module, each in its own process group
  for _ in $(seq 1 "$hogs"); do
    setsid sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 & pids+=($!)
  done
  setsid sh -c 'while :; do go build -a ./... >/dev/null 2>&1; sleep 1; done' </dev/null >/dev/null 2>&1 & pids+=($!)
  echo "aa: noise: $hogs CPU hogs and a go build -a loop on $(nproc) cores"
fi
go build -o "$bin/aa" ./bench/aa
uptime
"$bin/aa" "$@"
uptime
