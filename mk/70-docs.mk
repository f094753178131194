# README code runs as written: tests/docs/run.py extracts every fenced block of README.md and
# runs it against the freshly built library and packages — Python in the project's virtualenv,
# Node importing the built package, C compiled with -Werror against an installed copy
# ($(C_PREFIX)) and run under valgrind, the shell build lines with that prefix for /usr/local.
# The Rust blocks are doctests of watchword-core (ReadmeDoctests, run by rust-test). Blocks that
# cannot run as printed say so in their fence (`fragment`, `no-run`) and the runner says why.
#
#   make docs-test
.PHONY: docs-test

docs-test: python-develop node-build c-tools
	$(MAKE) --no-print-directory install PREFIX=$(C_PREFIX) FFI_PROFILE=debug > /dev/null
	python3 $(ROOT)/tests/docs/run.py $(ROOT)/README.md --out $(TARGET_DIR)/docs \
		--prefix $(C_PREFIX) --python $(VENV_BIN)/python --node-package $(NODE_DIR) --cc $(CC) \
		--valgrind "$(C_VALGRIND)"

TEST_TARGETS += docs-test
