# watchword serve (server/): the Twilio Verify v2 TOTP API over the stores. The Rust integration
# tests run real server processes (memory, SQLite, and PostgreSQL when WATCHWORD_TEST_PG_URL is
# set) with the test clock (`--features test-clock`), then once without it (no clock override in
# builds without the feature); the official `twilio` SDKs for Python (requirements-dev.txt) and
# Node (server/tests/node) then run Twilio's Verify TOTP quickstart against the binary built without it. fmt and clippy cover the crate with the workspace
# (mk/10-rust.mk). make demo runs that quickstart with the SDK against the server on SQLite.
.PHONY: server-build server-test server-node-deps demo-server

SERVER_BIN := $(TARGET_DIR)/debug/watchword
SERVER_NODE_DIR := $(ROOT)/server/tests/node

# The official twilio and @okta/okta-sdk-nodejs npm SDKs, pinned by server/tests/node/package-lock.json.
$(SERVER_NODE_DIR)/node_modules/.watchword-deps: $(SERVER_NODE_DIR)/package.json $(SERVER_NODE_DIR)/package-lock.json
	cd $(SERVER_NODE_DIR) && $(NPM) ci --no-audit --no-fund
	touch $@

server-node-deps: $(SERVER_NODE_DIR)/node_modules/.watchword-deps

server-build:
	$(CARGO) build --locked -p watchword-server

server-test: python-venv server-node-deps
	$(CARGO) test --locked -p watchword-server --features test-clock
	$(CARGO) test --locked -p watchword-server --test twilio no_clock_override
	$(CARGO) clippy --locked -p watchword-server --all-targets --features test-clock -- -D warnings
	cd $(ROOT)/server/tests/python && WATCHWORD_SERVER_BIN=$(SERVER_BIN) $(VENV_BIN)/python -m pytest -q -p no:cacheprovider .
	cd $(SERVER_NODE_DIR) && WATCHWORD_SERVER_BIN=$(SERVER_BIN) $(NODE) --test twilio_sdk.test.mjs okta_sdk.test.mjs

TEST_TARGETS += server-test

# Twilio's Verify TOTP quickstart with the official SDK against the server on an SQLite file.
demo-server: server-build python-venv
	WATCHWORD_SERVER_BIN=$(SERVER_BIN) $(VENV_BIN)/python $(ROOT)/examples/server/twilio_quickstart.py

DEMO_TARGETS += demo-server
