# Yizhan (驿站) — outlet agent and hub.
# `make help` lists the targets.

GO        ?= go
BIN       := bin
PKGS      := ./...
TEST_TIMEOUT ?= 30m

.DEFAULT_GOAL := help
.PHONY: help build run test test-unit test-js test-e2e deps bench bench-smoke lint fmt clean vendor-echarts package-windows package

help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z0-9_-]+:.*## /{printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

build: ## build yizhan-agent and yizhan-hub into bin/
	$(GO) build -o $(BIN)/ ./agent/cmd/yizhan-agent ./hub/cmd/yizhan-hub

# The demo runs as a built binary, not through `go run`: go run exits 1 on
# Ctrl-C whatever the program does, and make would then report an error.
# The demo stops its children and exits 0 on Ctrl-C.
run: build ## start the demo: a hub and two outlets with simulated scanners and printers
	$(GO) build -o $(BIN)/demo ./deploy/demo
	$(BIN)/demo --bin $(BIN)

deps: ## install what the tests need (mosquitto, postgresql, socat, chromium, a CJK font, node) when missing
	@sh deploy/ci/install-deps.sh

test: deps lint test-js ## run every test: unit, fuzz seeds, crash, restart, broker and browser tests
	$(GO) test -race -timeout $(TEST_TIMEOUT) $(PKGS)

test-unit: ## fast tests only (skips the system tests in deploy/e2e)
	$(GO) test -race -short $(PKGS)

# The counter screen's modules have no build step; their pure parts are
# tested with node's own runner, no npm packages. A missing node fails, it
# never skips, so CI cannot pass without these tests.
test-js: ## the counter and head-office screens' JavaScript unit tests (node --test)
	@command -v node >/dev/null 2>&1 || { echo "test-js: node is missing; install it with: apt-get install -y nodejs (or run make deps as root)" >&2; exit 1; }
	node --test agent/ui/jstest/*.test.js
	node --test hub/ui/jstest/*.test.js
	node --test hub/surveys/jstest/*.test.js

test-e2e: deps ## only the system tests: real processes, SIGKILL, both brokers
	$(GO) test -race -timeout $(TEST_TIMEOUT) -v ./deploy/e2e/

bench: deps ## run the benchmarks quoted in docs/BENCHMARKS.md
	$(GO) test -run '^$$' -bench . -benchtime 3x ./agent/ingest/ ./hub/store/sqlite/
	$(GO) test -run '^$$' -bench 'PruneMillion|CompactYear' -benchtime 1x ./agent/eventlog/ ./agent/workflow/
	$(GO) test -run '^$$' -bench BenchmarkForecast -benchtime 5x ./hub/peak/
	$(GO) test -run '^$$' -bench . -benchtime 50x ./hub/store/postgres/
	$(GO) test -run '^$$' -bench . -benchtime 2x ./agent/server/
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 90m ./deploy/e2e/ ./deploy/e2e/harness/
	$(GO) test -run '^$$' -bench . ./devices/barcode/ ./devices/scanner/ ./devices/scanner/tcp/ ./devices/spool/
	$(GO) test -run '^$$' -bench BigStore -benchtime 1x -timeout 150m ./hub/server/

# The big-store benchmark builds 10 million events the first time (minutes,
# then cached under $$TMPDIR/yizhan-bigstore); this runs it on a thousandth.
bench-smoke: ## the big-store benchmark on a 10,000-event store, in seconds
	YZ_BIGSTORE_SCALE=0.001 YZ_BIGSTORE_SAMPLES=5 YZ_BIGSTORE_ROUNDS=1 YZ_BIGSTORE_CACHE=$${TMPDIR:-/tmp}/yizhan-bigstore-smoke \
		$(GO) test -run '^$$' -bench BigStore -benchtime 1x ./hub/server/

lint: ## gofmt and go vet must be clean, for Linux and for Windows (where most outlet PCs run)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	GOOS=windows $(GO) vet $(PKGS)

# The release's version, in package names: the nearest tag, or the commit.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

package-windows: ## the Windows zip dist/yizhan-agent-VERSION-windows-amd64.zip: exe, sample config, README.txt (VERSION=1.4.0 to name it)
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/windows/yizhan-agent.exe ./agent/cmd/yizhan-agent
	$(GO) run ./deploy/windows/zip --exe $(BIN)/windows/yizhan-agent.exe --version $(VERSION) --out dist

vendor-echarts: ## re-fetch the ECharts file head office's screen embeds, checked against the npm registry's integrity
	@sh deploy/ci/vendor-echarts.sh

# The packages are built by a Go program with nfpm's Go API, pinned in
# go.mod, so this needs nothing but Go. VERSION=1.2.3 given to make names a
# release; otherwise deploy/package makes one from git describe that dpkg
# and rpm take (digits first, growing with every commit), not the default
# VERSION above.
package: ## build .deb and .rpm packages of yizhan-agent and yizhan-hub into dist/ (VERSION=1.4.0 to name it)
	$(GO) run ./deploy/package --out dist $(if $(filter command line environment,$(origin VERSION)),--version $(VERSION))

fmt: ## format the code
	gofmt -w $$(git ls-files '*.go')

clean: ## remove built binaries, packages and demo data
	rm -rf $(BIN) dist .demo

release-data: ## rewrite the release's data files (agent, hub SQLite, PostgreSQL dump) with the programs of deploy/e2e's releaseCommit
	$(GO) vet -tags releasedata ./deploy/e2e/
	$(GO) test -tags releasedata -count=1 -run TestWriteReleaseData -v ./deploy/e2e/
