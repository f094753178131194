# Node: the `watchword` npm package (bindings/node), a napi-rs addon built with the napi CLI from
# the package's own devDependencies (npm ci; nothing global).
#
#   make node-test    npm ci without EBADENGINE, the d.ts freshness check, node --test, tsc --strict
#                     on a usage file, and npm pack -> install the tarball elsewhere -> require/import/quickstart there
#   make demo-node    examples/quickstart.mjs
#   make bench-node   release build, then watchword side by side with otpauth and otplib
.PHONY: node-deps node-engines node-build node-dts-check node-unit node-typecheck node-pack-check node-test demo-node bench-node

NODE_DIR := $(ROOT)/bindings/node
NODE_OUT := $(TARGET_DIR)/node
NODE ?= node
NPM ?= npm
NAPI := $(NODE_DIR)/node_modules/.bin/napi
# The generated files the package commits; `napi build` writes them again on every build.
NODE_GENERATED := index.d.ts index.js

# npm ci from the committed lock (npm install when there is none); redone when the lock changes.
# An EBADENGINE warning (a dependency that wants a newer Node than this one) fails it: the
# package.json overrides pin the releases that still support the Node the README names.
NPM_ENGINE_CHECK = tee $(1); if grep -q EBADENGINE $(1); then \
	echo "npm warned EBADENGINE (above): pin a release that supports Node $$($(NODE) --version) in package.json overrides"; \
	exit 1; fi

$(NODE_DIR)/node_modules/.watchword-deps: $(NODE_DIR)/package.json $(wildcard $(NODE_DIR)/package-lock.json)
	@mkdir -p $(NODE_OUT)
	cd $(NODE_DIR) && if [ -f package-lock.json ]; then $(NPM) ci --no-audit --no-fund; \
		else $(NPM) install --no-audit --no-fund; fi 2>&1 | $(call NPM_ENGINE_CHECK,$(NODE_OUT)/npm-deps.log)
	touch $@

node-deps: $(NODE_DIR)/node_modules/.watchword-deps

# `npm ci` of the committed lock in a throwaway folder (scripts off, the npm cache first) prints
# no EBADENGINE warning on this Node.
node-engines:
	rm -rf $(NODE_OUT)/engines && mkdir -p $(NODE_OUT)/engines
	cp $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json $(NODE_OUT)/engines/
	cd $(NODE_OUT)/engines && $(NPM) ci --ignore-scripts --prefer-offline --no-audit --no-fund 2>&1 | \
		$(call NPM_ENGINE_CHECK,$(NODE_OUT)/engines/npm-ci.log)
	@echo "node-engines: npm ci installs without an EBADENGINE warning on Node $$($(NODE) --version)"
	rm -rf $(NODE_OUT)/engines

# Debug build of the addon (the tests don't measure speed) into the shared target dir. napi writes
# the addon with a fresh index.d.ts and index.js to $(NODE_OUT)/gen; the addon is copied into the
# package, the generated files are only compared with the committed ones (node-dts-check).
# `npm run build` in bindings/node regenerates them in place.
node-build: node-deps
	cd $(NODE_DIR) && CARGO_TARGET_DIR=$(TARGET_DIR) $(NAPI) build --platform -o $(NODE_OUT)/gen -- --locked
	cp $(NODE_OUT)/gen/watchword.*.node $(NODE_DIR)/

# Fails when the committed index.d.ts / index.js are not what napi generates from the sources.
node-dts-check: node-build
	@for f in $(NODE_GENERATED); do \
		diff -u $(NODE_DIR)/$$f $(NODE_OUT)/gen/$$f || { \
			echo "bindings/node/$$f is stale: run 'npm run build' in bindings/node and commit it"; exit 1; }; \
	done
	@echo "node-dts-check: index.d.ts and index.js are up to date"

node-unit: node-build
	cd $(NODE_DIR) && $(NODE) --test test/*.test.mjs

node-typecheck: node-deps
	cd $(NODE_DIR) && node_modules/.bin/tsc --strict --noEmit --target es2022 --module nodenext \
		--moduleResolution nodenext --types node test/typed-usage.ts
	@echo "node-typecheck: test/typed-usage.ts type-checks with --strict"

# The packed tarball, installed into a fresh folder, works there: require, import, the quickstart.
node-pack-check: node-build
	rm -rf $(NODE_OUT)/pack $(NODE_OUT)/consumer
	mkdir -p $(NODE_OUT)/pack $(NODE_OUT)/consumer
	cd $(NODE_DIR) && $(NPM) pack --silent --pack-destination $(NODE_OUT)/pack > $(NODE_OUT)/pack/name
	tar -tzf $(NODE_OUT)/pack/$$(cat $(NODE_OUT)/pack/name) | sort
	cd $(NODE_OUT)/consumer && $(NPM) init -y > /dev/null && \
		$(NPM) install --no-audit --no-fund $(NODE_OUT)/pack/$$(cat $(NODE_OUT)/pack/name)
	cd $(NODE_OUT)/consumer && $(NODE) -e " \
		const ww = require('watchword'); \
		if (new ww.Totp(Buffer.from('12345678901234567890')).generate(59) !== '287082') process.exit(1); \
		console.log('require(\"watchword\") works in', process.cwd())"
	cd $(NODE_OUT)/consumer && $(NODE) --input-type=module -e " \
		import { Totp, WatchwordError } from 'watchword'; \
		if (new Totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ').generate(59) !== '287082') process.exit(1); \
		if (typeof WatchwordError !== 'function') process.exit(1); \
		console.log('import from \"watchword\" works too')"
	cp $(ROOT)/examples/quickstart.mjs $(NODE_OUT)/consumer/quickstart.mjs
	cd $(NODE_OUT)/consumer && $(NODE) quickstart.mjs > /dev/null
	@echo "node-pack-check: the tarball installs and runs the quickstart in another folder"

node-test: node-engines node-dts-check node-unit node-typecheck node-pack-check

# The quickstart as a user runs it: `watchword` resolved from a node_modules next to the script.
demo-node: node-build
	rm -rf $(NODE_OUT)/demo && mkdir -p $(NODE_OUT)/demo/node_modules
	ln -s $(NODE_DIR) $(NODE_OUT)/demo/node_modules/watchword
	cp $(ROOT)/examples/quickstart.mjs $(NODE_OUT)/demo/quickstart.mjs
	cd $(NODE_OUT)/demo && $(NODE) quickstart.mjs

bench-node: node-deps
	cd $(NODE_DIR) && CARGO_TARGET_DIR=$(TARGET_DIR) $(NAPI) build --platform --release -o $(NODE_OUT)/release -- --locked
	cp $(NODE_OUT)/release/watchword.*.node $(NODE_DIR)/
	cd $(NODE_DIR) && $(NODE) $(ROOT)/bench/node/bench.mjs

TEST_TARGETS += node-test
DEMO_TARGETS += demo-node
BENCH_TARGETS += bench-node
