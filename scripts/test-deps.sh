#!/usr/bin/env bash
# Checks, and where it can installs, what the test suite needs. Idempotent: a second
# run installs nothing.
#   go, git     required
#   prometheus  the Prometheus provider's tests run against a real server (they skip
#               without it, so a laptop without root still runs everything else)
#   docker-registry  the registry push/pull tests run against a real OCI registry
#               (distribution); they skip without it
#   prometheus-alertmanager  the alert receiver's tests run a real Alertmanager
#               posting to it; they skip without it
#   cosign      cosign verify and verify-attestation check a pushed artifact; the
#               test skips without it
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
if ! need docker-registry && [ -z "${SLIPWAY_DOCKER_REGISTRY:-}" ]; then
  if can_apt; then
    apt_install docker-registry || echo "test-deps: could not install docker-registry; the registry tests will skip" >&2
    # The package enables a system service where it can; the tests run their own.
    (service docker-registry stop || systemctl stop docker-registry) >/dev/null 2>&1 || true
  else
    echo "test-deps: docker-registry not installed (apt-get install docker-registry); the registry tests will skip" >&2
  fi
fi
if ! need prometheus-alertmanager && ! need alertmanager && [ -z "${SLIPWAY_ALERTMANAGER:-}" ]; then
  if can_apt; then
    apt_install prometheus-alertmanager || echo "test-deps: could not install prometheus-alertmanager; the alert receiver's end-to-end tests will skip" >&2
    # The package starts a system service where it can; the tests run their own.
    (service prometheus-alertmanager stop || systemctl stop prometheus-alertmanager) >/dev/null 2>&1 || true
  else
    echo "test-deps: prometheus-alertmanager not installed (apt-get install prometheus-alertmanager); the alert receiver's end-to-end tests will skip" >&2
  fi
fi
# cosign checks that Slipway's registry artifacts verify with the real cosign; a
# one-time go install (a few minutes cold), then found in $(go env GOPATH)/bin.
cosign_bin="$(go env GOPATH)/bin/cosign"
if ! need cosign && ! [ -x "$cosign_bin" ] && [ -z "${SLIPWAY_COSIGN:-}" ]; then
  go install github.com/sigstore/cosign/v3/cmd/cosign@v3.1.3 ||
    echo "test-deps: could not install cosign; the cosign interoperability test will skip" >&2
fi
# The story's service is instrumented with OpenTelemetry: fetch its modules and
# compile them once, as its pipeline steps (build, vet, test) and the artifact
# build (CGO_ENABLED=0 -trimpath) do, so the story's timed pipelines find them
# in the caches. Nothing to do when they are warm.
example="$(dirname "$0")/../examples/contract-api"
if [ -f "$example/go.mod" ]; then
  (cd "$example" && go mod download && go vet ./... &&
    CGO_ENABLED=0 go build -trimpath -buildvcs=false -o /dev/null ./cmd/contract-api) >/dev/null ||
    echo "test-deps: could not compile examples/contract-api's modules ahead; the story compiles them itself" >&2
fi
reg=$(command -v docker-registry >/dev/null 2>&1 && echo docker-registry || echo "no docker-registry")
prom=$( { /usr/bin/prometheus --version 2>/dev/null || true; } | head -1)
am=$( { prometheus-alertmanager --version 2>/dev/null || alertmanager --version 2>/dev/null || true; } | head -1 | cut -d' ' -f1-3)
echo "test-deps: $(go version | cut -d' ' -f3), $(git --version), ${prom:-no prometheus}, $reg, ${am:-no alertmanager}"
