# TokenChargeback: the two set-up commands are `make demo` and `make test`.
SWIFT ?= swift
PERIOD ?= 2026-10
export CHARGEBACK_PYTHON := $(CURDIR)/.venv/bin/python

.PHONY: setup build release demo test bench lint clean

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

bench: release
	scripts/bench.sh

lint:
	$(SWIFT) format lint --strict --recursive Sources Tests

clean:
	rm -rf .build reports/demo bench
