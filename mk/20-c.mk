# C ABI: the cbindgen header and its check, libwatchword (shared with SONAME libwatchword.so.0,
# and static), `make install PREFIX=…` with a pkg-config file, the C tests under ASan+UBSan and
# under valgrind, a C++ compile check of the header, the quickstart against an installed copy,
# the host store example over SQLite, and the C benchmark.
#
#   make header                   regenerate include/watchword.h (commit the result)
#   make install PREFIX=/usr/local header, libwatchword.so*, libwatchword.a, watchword.pc,
#                                 lib/cmake/watchword/watchwordConfig.cmake (+ its version file)
#   make c-test                   everything the C surface has in `make test`
#   make demo-c / make bench-c
#   make c-example                examples/c/sqlite_store.c (a host store over SQLite), built and run
.PHONY: header header-check c-cbindgen c-tools c-lib c-lib-release c-soname c-exports c-test c-test-asan c-test-valgrind \
	c-cpp c-quickstart c-sqlite-dev c-example c-cmake-tool c-cmake demo-c bench-c install ffi-rust-test

CBINDGEN_VERSION := 0.29.4
C_TOOLS := $(TARGET_DIR)/tools
CBINDGEN := $(C_TOOLS)/bin/cbindgen
C_OUT := $(TARGET_DIR)/c
C_PREFIX := $(TARGET_DIR)/c-prefix
WW_VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' $(ROOT)/Cargo.toml | head -n 1)
WW_ABI := 0

CC ?= cc
CXX ?= c++
C_STD_FLAGS := -std=c99 -Wall -Wextra -Wpedantic -Werror
C_SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
C_TEST_PROGRAMS := test_vectors test_abi test_service test_host_store test_race test_processes
C_TEST_SOURCES := $(ROOT)/tests/c/harness.c $(ROOT)/tests/c/json.c $(ROOT)/tests/c/scenarios.c $(ROOT)/tests/c/race.c \
	$(ROOT)/tests/c/table_store.c
C_VECTORS := $(ROOT)/tests/vectors
# Under valgrind everything runs about 30 times slower: the replay races repeat fewer rounds
# (test_processes' worker processes run without valgrind). test_processes also runs on the
# PostgreSQL database in WATCHWORD_TEST_PG_URL and fails without one unless WATCHWORD_TEST_PG=skip.
C_VALGRIND := valgrind --quiet --leak-check=full --show-leak-kinds=definite,indirect,possible \
	--errors-for-leak-kinds=definite,indirect,possible --error-exitcode=1 \
	--suppressions=$(ROOT)/tests/c/valgrind.supp

# --- tools ------------------------------------------------------------------------------------

# cbindgen, pinned, in a project-local root (built once; kept while target/ is).
c-cbindgen:
	@if [ -x $(CBINDGEN) ] && $(CBINDGEN) --version | grep -qx 'cbindgen $(CBINDGEN_VERSION)'; then :; else \
		echo "installing cbindgen $(CBINDGEN_VERSION) into $(C_TOOLS)"; \
		CARGO_TARGET_DIR=$(C_TOOLS)/build $(CARGO) install cbindgen --locked --version $(CBINDGEN_VERSION) \
			--root $(C_TOOLS); \
	fi

# valgrind and pkg-config from Debian when the machine lacks them.
c-tools:
	@command -v valgrind >/dev/null && command -v pkg-config >/dev/null || { \
		echo "installing valgrind and pkg-config"; \
		apt-get update && apt-get install -y --no-install-recommends valgrind pkg-config; }

# --- header -----------------------------------------------------------------------------------

CBINDGEN_RUN = $(CBINDGEN) --quiet --config $(ROOT)/ffi/cbindgen.toml --crate watchword-ffi $(ROOT)/ffi

header: c-cbindgen
	$(CBINDGEN_RUN) --output $(ROOT)/include/watchword.h

# Fails when the committed header is not what cbindgen generates from the sources.
header-check: c-cbindgen
	@mkdir -p $(C_OUT)
	$(CBINDGEN_RUN) --output $(C_OUT)/watchword.h
	@diff -u $(ROOT)/include/watchword.h $(C_OUT)/watchword.h || { \
		echo "include/watchword.h is stale: run 'make header' and commit it"; exit 1; }
	@echo "header-check: include/watchword.h is up to date"

# --- libraries --------------------------------------------------------------------------------

# Stages a cargo profile's libraries as an installed tree would have them:
# libwatchword.so.VERSION, libwatchword.so.0 -> it, libwatchword.so -> libwatchword.so.0.
# $(1): cargo profile directory (debug/release), $(2): destination.
define c_stage
	@mkdir -p $(2)
	cp -f $(TARGET_DIR)/$(1)/libwatchword.so $(2)/libwatchword.so.$(WW_VERSION)
	ln -sf libwatchword.so.$(WW_VERSION) $(2)/libwatchword.so.$(WW_ABI)
	ln -sf libwatchword.so.$(WW_ABI) $(2)/libwatchword.so
	bash $(ROOT)/mk/static-lib.sh $(TARGET_DIR)/$(1)/libwatchword.a $(2)/libwatchword.a
endef

c-lib:
	$(CARGO) build --locked -p watchword-ffi
	$(call c_stage,debug,$(C_OUT)/debug/lib)

c-lib-release:
	$(CARGO) build --locked --release -p watchword-ffi
	$(call c_stage,release,$(C_OUT)/release/lib)

c-soname: c-lib
	@soname=$$(readelf -d $(TARGET_DIR)/debug/libwatchword.so | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p'); \
	if [ "$$soname" = "libwatchword.so.$(WW_ABI)" ]; then echo "c-soname: $$soname"; \
	else echo "c-soname: SONAME is '$$soname', wanted libwatchword.so.$(WW_ABI)"; exit 1; fi

# The shared library exports the ww_ functions and nothing else: not the symbols of the SQLite
# it bundles (SPEC §9), which would clash with a host's own SQLite.
c-exports: c-lib
	@others=$$(nm -D --defined-only $(TARGET_DIR)/debug/libwatchword.so | awk '$$2 ~ /^[TDBRVW]$$/ && $$3 !~ /^ww_/ {print $$3}'); \
	if [ -n "$$others" ]; then echo "c-exports: libwatchword.so exports more than ww_*:"; echo "$$others" | head -20; exit 1; fi; \
	echo "c-exports: libwatchword.so exports only ww_* symbols ($$(nm -D --defined-only $(TARGET_DIR)/debug/libwatchword.so | grep -c ' ww_'))"

# --- install ----------------------------------------------------------------------------------

PREFIX ?= /usr/local
# Installs the release build; `FFI_PROFILE=debug` installs the debug build (what the tests use),
# any other cargo profile its own (`make dist` installs the `dist` profile).
FFI_PROFILE ?= release
# RELOCATABLE=1 writes watchword.pc with its prefix relative to the file itself (${pcfiledir}),
# for a tree that is packed and unpacked elsewhere (the C tarball of `make dist`); the CMake
# configuration always finds its prefix from its own place.
RELOCATABLE ?=
# FFI_TARGET=<triple> builds with `--target` (the output then sits in target/<triple>/<profile>).
FFI_TARGET ?=
FFI_LIB_DIR = $(TARGET_DIR)/$(if $(FFI_TARGET),$(FFI_TARGET)/)$(FFI_PROFILE)
PC_PREFIX = $(if $(filter 1,$(RELOCATABLE)),$${pcfiledir}/../..,$(PREFIX))

install:
	$(CARGO) build --locked -p watchword-ffi $(if $(filter debug,$(FFI_PROFILE)),,--profile $(FFI_PROFILE)) \
		$(if $(FFI_TARGET),--target $(FFI_TARGET))
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(ROOT)/include/watchword.h $(DESTDIR)$(PREFIX)/include/watchword.h
	install -m 755 $(FFI_LIB_DIR)/libwatchword.so $(DESTDIR)$(PREFIX)/lib/libwatchword.so.$(WW_VERSION)
	ln -sf libwatchword.so.$(WW_VERSION) $(DESTDIR)$(PREFIX)/lib/libwatchword.so.$(WW_ABI)
	ln -sf libwatchword.so.$(WW_ABI) $(DESTDIR)$(PREFIX)/lib/libwatchword.so
	bash $(ROOT)/mk/static-lib.sh $(FFI_LIB_DIR)/libwatchword.a $(DESTDIR)$(PREFIX)/lib/libwatchword.a
	chmod 644 $(DESTDIR)$(PREFIX)/lib/libwatchword.a
	sed -e 's|@PREFIX@|$(PC_PREFIX)|' -e 's|@VERSION@|$(WW_VERSION)|' $(ROOT)/ffi/watchword.pc.in \
		> $(DESTDIR)$(PREFIX)/lib/pkgconfig/watchword.pc
	install -d $(DESTDIR)$(PREFIX)/lib/cmake/watchword
	for f in watchwordConfig watchwordConfigVersion; do \
		sed -e 's|@VERSION@|$(WW_VERSION)|g' -e 's|@ABI@|$(WW_ABI)|g' $(ROOT)/ffi/$$f.cmake.in \
			> $(DESTDIR)$(PREFIX)/lib/cmake/watchword/$$f.cmake || exit 1; \
	done
	@echo "installed watchword $(WW_VERSION) ($(FFI_PROFILE)) into $(DESTDIR)$(PREFIX)"

# --- tests ------------------------------------------------------------------------------------

# The Rust side of the ABI: status table, boundary, every export wrapped in the macro.
ffi-rust-test:
	$(CARGO) test --locked -p watchword-ffi

# $(1): flags, $(2): output directory, $(3): the programs (default: C_TEST_PROGRAMS), $(4): more
# libraries. Links against the staged debug shared library.
define c_build_tests
	@mkdir -p $(2)
	for t in $(or $(3),$(C_TEST_PROGRAMS)); do \
		$(CC) $(C_STD_FLAGS) -g $(1) -I$(ROOT)/include -o $(2)/$$t $(ROOT)/tests/c/$$t.c $(C_TEST_SOURCES) \
			-L$(C_OUT)/debug/lib -Wl,-rpath,$(C_OUT)/debug/lib -lwatchword $(4) -lpthread || exit 1; \
	done
endef

C_ASAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

c-test-asan: c-lib
	$(call c_build_tests,-O1 $(C_SAN_FLAGS),$(C_OUT)/asan)
	@echo "== C tests under AddressSanitizer + UBSan =="
	for t in $(C_TEST_PROGRAMS); do \
		$(C_ASAN_ENV) $(C_OUT)/asan/$$t $(C_VECTORS) || exit 1; \
	done

c-test-valgrind: c-lib c-tools
	$(call c_build_tests,-O1,$(C_OUT)/plain)
	@echo "== C tests under valgrind =="
	for t in $(C_TEST_PROGRAMS); do \
		WW_TEST_RACE_ROUNDS=20 $(C_VALGRIND) $(C_OUT)/plain/$$t $(C_VECTORS) || exit 1; \
	done

# A C++ translation unit that includes the header compiles cleanly.
c-cpp:
	@mkdir -p $(C_OUT)
	$(CXX) -std=c++11 -Wall -Wextra -Werror -I$(ROOT)/include -c $(ROOT)/tests/c/header_check.cpp \
		-o $(C_OUT)/header_check.o
	@echo "c-cpp: the header compiles as C++"

# The quickstart, built outside the repository's include path against an installed copy,
# found through pkg-config; once linked to the shared library and once statically.
c-quickstart: c-tools c-sqlite-dev
	$(MAKE) --no-print-directory install PREFIX=$(C_PREFIX) FFI_PROFILE=debug
	@mkdir -p $(C_OUT)/quickstart
	export PKG_CONFIG_PATH=$(C_PREFIX)/lib/pkgconfig; \
	$(CC) $(C_STD_FLAGS) $$(pkg-config --cflags watchword) -o $(C_OUT)/quickstart/quickstart \
		$(ROOT)/examples/quickstart.c $$(pkg-config --libs watchword) -Wl,-rpath,$(C_PREFIX)/lib && \
	$(CC) $(C_STD_FLAGS) $$(pkg-config --cflags watchword) -o $(C_OUT)/quickstart/quickstart-static \
		$(ROOT)/examples/quickstart.c $(C_PREFIX)/lib/libwatchword.a \
		$$(pkg-config --static --libs-only-other --libs-only-l watchword | sed 's/-lwatchword//')
	readelf -d $(C_OUT)/quickstart/quickstart | grep -q 'NEEDED.*\[libwatchword.so.$(WW_ABI)\]'
	! readelf -d $(C_OUT)/quickstart/quickstart-static | grep -q 'libwatchword'
	cd $(C_OUT)/quickstart && ./quickstart && ./quickstart-static > /dev/null
	$(CC) $(C_STD_FLAGS) -I$(C_PREFIX)/include -o $(C_OUT)/quickstart/static_sqlite $(ROOT)/tests/c/static_sqlite.c \
		$(C_PREFIX)/lib/libwatchword.a -lsqlite3 \
		$$(PKG_CONFIG_PATH=$(C_PREFIX)/lib/pkgconfig pkg-config --static --libs-only-other --libs-only-l watchword | sed 's/-lwatchword//')
	rm -f $(C_OUT)/quickstart/static.db && $(C_OUT)/quickstart/static_sqlite $(C_OUT)/quickstart/static.db

# The system's SQLite headers (libsqlite3-dev) from Debian when the machine lacks them: the host
# SQLite the static test links beside, and the one examples/c/sqlite_store.c keeps its rows in.
c-sqlite-dev:
	@test -f /usr/include/sqlite3.h || { echo "installing libsqlite3-dev"; \
		apt-get update && apt-get install -y --no-install-recommends libsqlite3-dev; }

# examples/c/sqlite_store.c, a host store over the system's SQLite: built against the staged
# library and run twice on a fresh file under valgrind (leaks fail); then its store, included
# by tests/c/test_sqlite_example.c, through every scenario and the replay race, under ASan+UBSan
# and under valgrind (20 rounds).
c-example: c-lib c-tools c-sqlite-dev
	@mkdir -p $(C_OUT)/example
	$(CC) $(C_STD_FLAGS) -g -I$(ROOT)/include -o $(C_OUT)/example/sqlite_store $(ROOT)/examples/c/sqlite_store.c \
		-L$(C_OUT)/debug/lib -Wl,-rpath,$(C_OUT)/debug/lib -lwatchword -lsqlite3 -lpthread
	rm -f $(C_OUT)/example/example.db
	$(C_VALGRIND) $(C_OUT)/example/sqlite_store $(C_OUT)/example/example.db | tee $(C_OUT)/example/out.txt
	$(C_OUT)/example/sqlite_store $(C_OUT)/example/example.db >> $(C_OUT)/example/out.txt
	@test "$$(grep -c '^login: approved$$' $(C_OUT)/example/out.txt)" = 2 && \
		test "$$(grep -c '^the same code again: replayed$$' $(C_OUT)/example/out.txt)" = 2 || { \
		echo "c-example: the example did not approve once and refuse the replay on each run"; exit 1; }
	$(call c_build_tests,-O1 $(C_SAN_FLAGS),$(C_OUT)/asan,test_sqlite_example,-lsqlite3)
	$(C_ASAN_ENV) $(C_OUT)/asan/test_sqlite_example $(C_VECTORS)
	$(call c_build_tests,-O1,$(C_OUT)/plain,test_sqlite_example,-lsqlite3)
	WW_TEST_RACE_ROUNDS=20 $(C_VALGRIND) $(C_OUT)/plain/test_sqlite_example $(C_VECTORS)

# cmake from Debian when the machine lacks it.
c-cmake-tool:
	@command -v cmake >/dev/null || { echo "installing cmake"; \
		apt-get update && apt-get install -y --no-install-recommends cmake; }

# A C++ program built with CMake through find_package(watchword) against an installed copy, once
# linked to the shared library and once to the static one; a request for another minor version
# is refused (0.x minor releases may change the API).
c-cmake: c-cmake-tool
	$(MAKE) --no-print-directory install PREFIX=$(C_PREFIX) FFI_PROFILE=debug > /dev/null
	rm -rf $(C_OUT)/cmake $(C_OUT)/cmake-version
	cmake -S $(ROOT)/tests/cmake -B $(C_OUT)/cmake -DCMAKE_PREFIX_PATH=$(C_PREFIX) -DCMAKE_BUILD_TYPE=Debug \
		-DCMAKE_CXX_FLAGS="-Wall -Wextra -Werror" > $(C_OUT)/cmake.log || { cat $(C_OUT)/cmake.log; exit 1; }
	cmake --build $(C_OUT)/cmake > $(C_OUT)/cmake-build.log || { cat $(C_OUT)/cmake-build.log; exit 1; }
	readelf -d $(C_OUT)/cmake/cmake_check | grep -q 'NEEDED.*\[libwatchword.so.$(WW_ABI)\]'
	! readelf -d $(C_OUT)/cmake/cmake_check_static | grep -q 'libwatchword'
	$(C_OUT)/cmake/cmake_check && $(C_OUT)/cmake/cmake_check_static
	! cmake -S $(ROOT)/tests/cmake -B $(C_OUT)/cmake-version -DCMAKE_PREFIX_PATH=$(C_PREFIX) \
		-DWATCHWORD_WANT=0.2 > $(C_OUT)/cmake-version.log 2>&1
	grep -q 'requested version "0.2"' $(C_OUT)/cmake-version.log || { \
		cat $(C_OUT)/cmake-version.log; exit 1; }
	@echo "c-cmake: find_package(watchword) builds a C++ program against $(C_PREFIX)"

demo-c: c-quickstart

c-test: header-check ffi-rust-test c-soname c-exports c-test-asan c-test-valgrind c-cpp c-quickstart c-example c-cmake

# --- benchmark --------------------------------------------------------------------------------

bench-c: c-lib-release
	@mkdir -p $(C_OUT)/bench
	$(CC) $(C_STD_FLAGS) -O2 -I$(ROOT)/include -o $(C_OUT)/bench/bench $(ROOT)/tests/c/bench.c \
		-L$(C_OUT)/release/lib -Wl,-rpath,$(C_OUT)/release/lib -lwatchword
	$(C_OUT)/bench/bench
	$(CARGO) bench --locked -p watchword-ffi --bench boundary

TEST_TARGETS += c-test
DEMO_TARGETS += demo-c
BENCH_TARGETS += bench-c
