# Fuzzing: every cargo-fuzz target of core (core/fuzz), one after the other, each for
# FUZZ_SECONDS, starting from the committed seed corpora (core/fuzz/seeds, made from the
# shared vectors by tests/vectors/gen/fuzz_seeds.py). New inputs go to core/fuzz/corpus
# (not committed); a crash stops the run and leaves its input in core/fuzz/artifacts.
#
#   make fuzz FUZZ_SECONDS=600
.PHONY: fuzz fuzz-tools

FUZZ_SECONDS ?= 60
FUZZ_TARGETS := sequence service_call records key_uri base32
FUZZ_DIR := $(ROOT)/core/fuzz

# cargo-fuzz from crates.io; libFuzzer needs the nightly toolchain, which rustup provides.
fuzz-tools:
	@rustup toolchain list | grep -q '^nightly' || { echo "make fuzz needs the nightly toolchain (rustup toolchain install nightly)"; exit 1; }
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked

fuzz: fuzz-tools
	cd $(FUZZ_DIR) && for target in $(FUZZ_TARGETS); do \
		mkdir -p corpus/$$target; \
		echo "fuzz: $$target for $(FUZZ_SECONDS) s"; \
		CARGO_TARGET_DIR=$(FUZZ_DIR)/target cargo +nightly fuzz run $$target corpus/$$target seeds/$$target -- \
			-max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 || exit 1; \
	done
