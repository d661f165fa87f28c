#!/usr/bin/env bash
# Checks, and where it can installs, what the test suite needs. Idempotent: a second
# run installs nothing.
#   go, git     required
#   prometheus  the Prometheus provider's tests run against a real server (they skip
#               without it, so a laptop without root still runs everything else)
set -euo pipefail

need() { command -v "$1" >/dev/null 2>&1; }
can_apt() { need apt-get && [ "$(id -u)" = 0 ]; }
apt_updated=
apt_install() {
  if [ -z "$apt_updated" ]; then
    apt-get update -qq >/dev/null
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! need go; then
  echo "test-deps: Go is required (https://go.dev/dl); Slipway builds with Go 1.26" >&2
  exit 1
fi
if ! need git; then
  if can_apt; then apt_install git; else
    echo "test-deps: git is required" >&2
    exit 1
  fi
fi
if ! [ -x /usr/bin/prometheus ] && [ -z "${SLIPWAY_PROMETHEUS:-}" ]; then
  if can_apt; then
    apt_install prometheus || echo "test-deps: could not install prometheus; its provider tests will skip" >&2
    # The package starts a system service where it can; the tests run their own.
    (service prometheus stop || systemctl stop prometheus) >/dev/null 2>&1 || true
  else
    echo "test-deps: prometheus not installed (apt-get install prometheus); its provider tests will skip" >&2
  fi
fi
prom=$( { /usr/bin/prometheus --version 2>/dev/null || true; } | head -1)
echo "test-deps: $(go version | cut -d' ' -f3), $(git --version), ${prom:-no prometheus}"
