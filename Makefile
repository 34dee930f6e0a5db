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

test: setup
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

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
