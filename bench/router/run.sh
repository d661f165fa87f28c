#!/usr/bin/env bash
# Router load and overhead benchmark: installs wrk and nginx when missing (as root,
# from Debian), builds the benchmark and runs it; every flag goes to it, e.g.
#
#   bench/router/run.sh            # about 4 minutes
#   bench/router/run.sh -quick     # about a minute
#
# The last line reads: router: added_p50_us=X throughput_vs_nginx=Y switch_errors=Z
set -euo pipefail
cd "$(dirname "$0")/../.."

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if ((${#missing[@]})); then
	if [ "$(id -u)" != 0 ]; then
		echo "router bench: ${missing[*]} missing: install them (sudo apt-get install -y ${missing[*]}) and run again" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y "${missing[@]}" >/dev/null || { apt-get update >/dev/null && apt-get install -y "${missing[@]}" >/dev/null; }
fi

tmp=$(mktemp -d)
pid=
cleanup() {
	# the benchmark stops its own processes on SIGTERM; they also die with it
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

go build -o "$tmp/routerbench" ./bench/router
"$tmp/routerbench" "$@" &
pid=$!
wait "$pid"
