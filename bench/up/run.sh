#!/usr/bin/env bash
# What a team gets from `slipway up` on examples/quote-api, at the product's
# defaults (branches read every 2s):
#
#   1. push to dev: from `git push` of a fix to main until the release serves in dev,
#      for N pushes (Go build cache warm), split into the time spent in the service's
#      own work (pipeline steps, artifact build) and Slipway's own share;
#   2. the idle control plane: CPU (share of one core) and resident memory with
#      three environments, over an idle window.
#
#   bench/up/run.sh            # 5 pushes, 60s idle window
#   bench/up/run.sh -quick     # 2 pushes, 20s idle window
#
# The last line reads: up: push_to_dev_s=X own_work_s=Y slipway_share=Z idle_cpu_pct=C rss_mb=M
set -euo pipefail
cd "$(dirname "$0")/../.."
pushes=5 idle=60
if [ "${1:-}" = -quick ]; then pushes=2 idle=20; fi

tmp=$(mktemp -d)
bin="$tmp/slipway"
cleanup() {
	SLIPWAY_DATA="$tmp/ops/.slipway" "$bin" down >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT
go build -o "$bin" ./cmd/slipway

export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
git init -q --bare -b main "$tmp/origin.git"
git clone -q "$tmp/origin.git" "$tmp/dev"
(cd examples/quote-api && tar --exclude=./_changes -cf - .) | (cd "$tmp/dev" && tar xf -)
printf '.slipway/\n' >"$tmp/dev/.gitignore"
git -C "$tmp/dev" add -A && git -C "$tmp/dev" commit -q -m "feat: quote-api" && git -C "$tmp/dev" push -q origin main
git clone -q "$tmp/origin.git" "$tmp/ops"
export SLIPWAY_DATA="$tmp/ops/.slipway"
(cd "$tmp/ops" && "$bin" up --detach --remote origin >/dev/null)

# dev_version prints the version dev runs.
dev_version() {
	"$bin" status -o json | python3 -c 'import json,sys
d=json.load(sys.stdin)
print(next((e.get("version","") for e in d["services"][0]["environments"] if e["name"]=="dev"), ""))'
}
wait_dev() { # wait until dev runs $1; prints nothing
	for _ in $(seq 1 1200); do
		[ "$(dev_version)" = "$1" ] && return 0
		sleep 0.1
	done
	echo "up bench: dev never ran $1" >&2
	exit 1
}
wait_dev 0.1.0

total=0 own=0
for i in $(seq 1 "$pushes"); do
	echo "// bench $i" >>"$tmp/dev/cmd/quote-api/main.go"
	git -C "$tmp/dev" commit -q -am "fix: bench change $i"
	start=$(date +%s.%N)
	git -C "$tmp/dev" push -q origin main
	wait_dev "0.1.$i"
	end=$(date +%s.%N)
	took=$(echo "$end - $start" | bc)
	# The service's own work: its pipeline's duration and the artifact build, from the journal.
	work=$("$bin" history --limit 0 -o json | python3 -c 'import json,sys
from datetime import datetime
evs=json.load(sys.stdin)["events"]
v="0.1.'"$i"'"
run=[e for e in evs if e["kind"]=="run.finished"][-1]
rel=[e for e in evs if e["kind"]=="release.created" and e.get("version")==v][-1]
t=lambda e: datetime.fromisoformat(e["time"].replace("Z","+00:00"))
start=[e for e in evs if e["kind"]=="release.created" and e.get("version")==v]
# release.created is journaled after the build: build time = release.created - run.finished
print(round(run["data"]["duration_ms"]/1000 + (t(rel)-t(run)).total_seconds(), 3))')
	printf 'push %d: %.1fs from git push to 0.1.%d serving in dev (pipeline + artifact build %.1fs)\n' "$i" "$took" "$i" "$work"
	total=$(echo "$total + $took" | bc)
	own=$(echo "$own + $work" | bc)
done

pid=$(cat "$SLIPWAY_DATA/slipway.pid")
hz=$(getconf CLK_TCK)
# its own CPU and that of the processes it waited for (git fetch every poll)
ticks() { awk '{print $14+$15+$16+$17}' "/proc/$pid/stat"; }
t0=$(ticks)
sleep "$idle"
t1=$(ticks)
rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status")
cpu=$(echo "scale=3; ($t1 - $t0) * 100 / $hz / $idle" | bc)
avg=$(echo "scale=2; $total / $pushes" | bc)
ownavg=$(echo "scale=2; $own / $pushes" | bc)
share=$(echo "scale=2; ($total - $own) / $total" | bc)
echo "idle control plane over ${idle}s with 3 environments: ${cpu}% of a core, RSS $((rss / 1024)) MiB"
echo "up: push_to_dev_s=$avg own_work_s=$ownavg slipway_share=$share idle_cpu_pct=$cpu rss_mb=$((rss / 1024))"
