# relmig — see README.md. Everything the targets need is fetched and built here:
# Go modules, the development MongoDB-protocol server, staticcheck, npm packages.

GO          ?= go
BIN         := $(CURDIR)/bin
VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS     := -X main.version=$(VERSION)
STATICCHECK := $(BIN)/staticcheck
STATICCHECK_VERSION := v0.7.0
FUZZTIME    ?= 60s

.PHONY: all build test test-inner lint vet devdb fuzz bench demo readme-check novu-e2e clean FORCE

all: build

build: $(BIN)/relmig

$(BIN)/relmig: FORCE
	$(GO) build -ldflags "$(LDFLAGS)" -o $@ ./cmd/relmig

# The development server is its own module (FerretDB is heavy); its first build
# takes about a minute on two cores.
$(BIN)/devdb: scripts/devdb/go.mod scripts/devdb/go.sum scripts/devdb/main.go
	cd scripts/devdb && $(GO) build -o $@ .

# npm packages for tests, demo and benchmarks, from the committed lockfile.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(STATICCHECK):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)

# devdb runs the development server in the foreground and prints its URI.
devdb: $(BIN)/devdb
	$(BIN)/devdb

vet:
	$(GO) vet ./...

lint: vet $(STATICCHECK)
	$(STATICCHECK) ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi

test: $(BIN)/devdb $(STATICCHECK) $(BIN)/relmig node_modules/.installed
	scripts/with-devdb.sh $(MAKE) --no-print-directory test-inner

test-inner: lint
	GO=$(GO) scripts/readme-check.sh
	@# make demo, the README's other command, must keep working: its
	@# output is shown only when it fails.
	@log=$$(mktemp); if GO=$(GO) scripts/demo/demo.sh >"$$log" 2>&1; then echo "demo: ok"; rm -f "$$log"; else cat "$$log"; rm -f "$$log"; exit 1; fi
	$(GO) test -race -count=1 ./...

# readme-check runs every example command of README.md as written and
# compares its output with the output the README shows.
readme-check: $(BIN)/devdb $(BIN)/relmig node_modules/.installed
	GO=$(GO) scripts/with-devdb.sh scripts/readme-check.sh

# demo builds everything, starts the development server and walks through an
# upgrade of a generated application (RELMIG_DEMO_KEEP=1 keeps its folder).
demo: $(BIN)/devdb $(BIN)/relmig node_modules/.installed
	GO=$(GO) scripts/with-devdb.sh scripts/demo/demo.sh

# bench runs every SPEC §7 benchmark (map build, status, apply overhead
# against migrate-mongo, exactly once) against a reference measured in the
# same run, prints one table and fails when a bar is missed
# (scripts/bench/bench.sh; RUNS=N repeats the timed runs, BENCH_KEEP=1 keeps
# the scratch folder).
bench: $(BIN)/devdb $(BIN)/relmig node_modules/.installed
	GO=$(GO) scripts/with-devdb.sh scripts/bench/bench.sh

# novu-e2e upgrades a Novu database v0.22.0 -> v2.0.0 with the real scripts
# from their own release checkouts and toolchains (not part of make test:
# cold, it installs three releases, tens of minutes on two cores).
# NOVU_GIT=<a git dir of Novu> is required; see scripts/novu-e2e/e2e.sh.
novu-e2e: $(BIN)/devdb $(BIN)/relmig node_modules/.installed
	@test -n "$(NOVU_GIT)" || { echo "usage: make novu-e2e NOVU_GIT=<a git directory of github.com/novuhq/novu>" >&2; exit 2; }
	NOVU_GIT="$(NOVU_GIT)" scripts/with-devdb.sh scripts/novu-e2e/e2e.sh

# fuzz runs every fuzz target of every package for FUZZTIME each (make test
# runs their seed corpora).
fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$t"; \
			$(GO) test -run '^$$' -fuzz "^$$t\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

clean:
	rm -rf $(BIN)
