#!/usr/bin/env bash
# Checks (and where possible installs) what the test suite needs. Idempotent.
set -euo pipefail

need() { command -v "$1" >/dev/null 2>&1; }

if ! need go; then
  echo "test-deps: Go is required (https://go.dev/dl); Slipway builds with Go 1.26" >&2
  exit 1
fi
if ! need git; then
  if need apt-get && [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq git >/dev/null
  else
    echo "test-deps: git is required" >&2
    exit 1
  fi
fi
echo "test-deps: $(go version | cut -d' ' -f3), $(git --version)"
