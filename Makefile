# Slipway: the two commands of the README, and a few helpers.
GO ?= go

.PHONY: demo test vet build bench

## demo: play the story on this machine (about two minutes)
demo:
	$(GO) run ./cmd/slipway demo

## test: everything the tests need is checked, then vet and the full suite
test:
	bash scripts/test-deps.sh
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

build:
	$(GO) build -o bin/slipway ./cmd/slipway

## bench: detection vs Flagger, router load and overhead (needs wrk and nginx), micro-benchmarks
bench:
	$(GO) run ./bench/detection -quick
	bash bench/router/run.sh -quick
	$(GO) test -run '^$$' -bench . -benchmem ./internal/router/ ./internal/analysis/...
