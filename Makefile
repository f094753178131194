# watchword — build, test, demo and benchmark every surface.
#
#   make demo    the quickstart flow in C, Python and Node
#   make test    every test suite (Rust, no_std, C, Python, Node) plus fmt, clippy, header check,
#                and the dist artifacts installed and used from a clean place
#   make bench   watchword against its peers, side by side (bench/run.py → bench/results.md)
#   make dist    the release artifacts in dist/: wheel, sdist, npm tarball, C tarball (mk/80-dist.mk)
#
# Each surface keeps its targets in mk/<surface>.mk and adds them to the lists below.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
export CARGO_TERM_COLOR ?= never
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
TARGET_DIR := $(ROOT)/target
export CARGO_TARGET_DIR := $(TARGET_DIR)

TEST_TARGETS :=
DEMO_TARGETS :=
BENCH_TARGETS :=

.PHONY: all test test-suites demo bench bench-each
all: test

# The suites that need PostgreSQL find it in WATCHWORD_TEST_PG_URL: `make test` starts one
# throwaway server for all of them (mk/with-postgres.sh) unless one is given, or
# WATCHWORD_TEST_PG=skip says to leave the PostgreSQL tests out.
WITH_PG = $(if $(WATCHWORD_TEST_PG_URL)$(filter skip,$(WATCHWORD_TEST_PG)),,bash $(ROOT)/mk/with-postgres.sh)

include $(sort $(wildcard $(ROOT)/mk/*.mk))

test:
	$(WITH_PG) $(MAKE) --no-print-directory test-suites
	@echo "make test: all suites passed"

test-suites: $(TEST_TARGETS)

# The quickstarts draw their QR code for a dark terminal background; `make demo QR=light` for a
# light one.
QR ?= dark
export WATCHWORD_QR_BACKGROUND := $(QR)

demo: $(DEMO_TARGETS)
	@echo "make demo: QR codes drawn for a $(QR) terminal background; switch with make demo QR=light or QR=dark"

bench: bench-all

# Each surface's own benchmark, one after the other, without the combined report.
bench-each: $(BENCH_TARGETS)
