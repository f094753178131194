# Python: the `watchword` package (bindings/python), built with maturin into the project's own
# virtualenv, then pytest, the stub checks (stubtest + mypy --strict) and the quickstart.
.PHONY: python-venv python-develop python-test python-stubs demo-python bench-python python-wheel

PY_DIR := $(ROOT)/bindings/python
VENV := $(ROOT)/.venv
VENV_BIN := $(VENV)/bin
PYTHON3 ?= python3
PY_REQUIREMENTS := $(PY_DIR)/requirements-dev.txt
# maturin installs into the virtualenv named here.
PY_ENV := VIRTUAL_ENV=$(VENV) PATH=$(VENV_BIN):$$PATH

# The virtualenv is rebuilt whenever the pinned requirements change.
$(VENV)/.requirements: $(PY_REQUIREMENTS)
	test -x $(VENV_BIN)/python || $(PYTHON3) -m venv $(VENV)
	$(VENV_BIN)/python -m pip install --disable-pip-version-check --quiet -r $(PY_REQUIREMENTS)
	cp $(PY_REQUIREMENTS) $@

python-venv: $(VENV)/.requirements

# Debug build of the extension into .venv (fast to build; the tests don't measure speed).
python-develop: python-venv
	cd $(PY_DIR) && $(PY_ENV) maturin develop --locked --target-dir $(TARGET_DIR)

# pytest exits 5 when it collects nothing; any non-zero exit fails the build.
python-test: python-develop
	cd $(PY_DIR) && $(PY_ENV) python -m pytest -q -p no:cacheprovider tests
	$(MAKE) --no-print-directory python-stubs
	$(PY_ENV) python $(ROOT)/examples/quickstart.py > /dev/null

# The stubs must match the compiled module (stubtest) and type-check a strict usage example.
# watchword.aio's stub is generated from watchword.Verify's signatures (gen_aio_stub.py).
python-stubs: python-develop
	cd $(PY_DIR) && $(PY_ENV) python gen_aio_stub.py --check
	cd $(PY_DIR) && $(PY_ENV) python -m mypy.stubtest watchword --mypy-config-file pyproject.toml
	cd $(PY_DIR) && $(PY_ENV) python -m mypy --strict --config-file pyproject.toml \
		python/watchword tests/typed_usage.py tests/test_host_stores.py tests/test_django_store.py $(ROOT)/examples/quickstart.py \
		$(ROOT)/examples/python $(ROOT)/bench/python/bench.py

demo-python: python-develop
	$(PY_ENV) python $(ROOT)/examples/quickstart.py

# Release build (lto), then watchword side by side with pyotp and cryptography.
bench-python: python-venv
	cd $(PY_DIR) && $(PY_ENV) maturin develop --locked --release --target-dir $(TARGET_DIR)
	$(PY_ENV) python $(ROOT)/bench/python/bench.py

# The abi3 wheel (CPython >= 3.10) in target/wheels.
python-wheel: python-venv
	cd $(PY_DIR) && $(PY_ENV) maturin build --locked --release --target-dir $(TARGET_DIR)

TEST_TARGETS += python-test
DEMO_TARGETS += demo-python
BENCH_TARGETS += bench-python
