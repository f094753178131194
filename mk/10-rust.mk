# Rust: formatting, lints, the core test suite and the no_std proof.
.PHONY: rust-fmt rust-clippy rust-test nostd

rust-fmt:
	$(CARGO) fmt --all -- --check

rust-clippy:
	$(CARGO) clippy --locked --workspace --all-targets -- -D warnings

rust-test:
	$(CARGO) test --locked -p watchword-core --all-features

# A #![no_std] staticlib with its own panic handler: if anything pulls in std, the duplicate
# panic handler fails the build. Built once with no features and once with `alloc`.
nostd:
	cd tests/nostd && $(CARGO) build --locked --release --target-dir $(TARGET_DIR)/nostd
	cd tests/nostd && $(CARGO) build --locked --release --features alloc --target-dir $(TARGET_DIR)/nostd-alloc

bench-rust:
	$(CARGO) bench --locked -p watchword-core --bench otp

TEST_TARGETS += rust-fmt rust-clippy rust-test nostd
BENCH_TARGETS += bench-rust
