# TokenChargeback: the two set-up commands are `make demo` and `make test`.
SWIFT ?= swift
PERIOD ?= 2026-10
export CHARGEBACK_PYTHON := $(CURDIR)/.venv/bin/python

.PHONY: setup build release demo test fuzz bench lint clean

setup:
	@scripts/setup.sh

build: setup
	$(SWIFT) build

release: setup
	$(SWIFT) build -c release

demo: release
	$$($(SWIFT) build -c release --show-bin-path)/chargeback demo --out reports/demo --period $(PERIOD)

# The PostgreSQL store's tests need a server: `make test` starts a throw-away one on a unix socket
# in a folder of its own (so two runs never share one; scripts/postgres.sh installs Debian's
# postgresql when missing) and stops it afterwards, also when tests fail or the run is interrupted. CHARGEBACK_TEST_POSTGRES_URL=postgres://… uses an existing server instead (the tests
# make and drop a schema of their own each); CHARGEBACK_SKIP_POSTGRES=1 skips those tests.
test: setup
	$(SWIFT) build --build-tests
	@set -e; \
	if [ "$${CHARGEBACK_SKIP_POSTGRES:-}" = 1 ] || [ -n "$${CHARGEBACK_TEST_POSTGRES_URL:-}" ]; then \
	  $(SWIFT) test --skip-build; exit; \
	fi; \
	CHARGEBACK_PG_DIR="$$(mktemp -d "$${TMPDIR:-/tmp}/chargeback-pg.XXXXXX")"; export CHARGEBACK_PG_DIR; \
	trap 'scripts/postgres.sh stop' EXIT; trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 129' HUP; \
	url="$$(scripts/postgres.sh start)"; \
	CHARGEBACK_TEST_POSTGRES_URL="$$url" $(SWIFT) test --skip-build

# The mutation fuzzer (Tests/ChargebackKitTests/Ingest/FuzzTests.swift) for as long as asked:
# `FUZZ_SECONDS=3600 make fuzz`; FUZZ_SEED picks another sequence, FUZZ_OUT keeps crashing inputs.
FUZZ_SECONDS ?= 600
fuzz: setup
	$(SWIFT) build --build-tests
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(SWIFT) test --skip-build --filter FuzzTests.mutatedExports

bench: release
	scripts/bench.sh

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests

clean:
	rm -rf .build reports/demo bench
