# watchword — build, test, demo and benchmark every surface.
#
#   make demo    the quickstart flow in C, Python and Node
#   make test    every test suite (Rust, no_std, C, Python, Node) plus fmt, clippy, header check
#   make bench   watchword against its peers, side by side (bench/run.py → bench/results.md)
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

.PHONY: all test demo bench bench-each
all: test

include $(sort $(wildcard $(ROOT)/mk/*.mk))

test: $(TEST_TARGETS)
	@echo "make test: all suites passed"

demo: $(DEMO_TARGETS)

bench: bench-all

# Each surface's own benchmark, one after the other, without the combined report.
bench-each: $(BENCH_TARGETS)
