# Stores: the watchword-store tests, the PostgreSQL ones against a throwaway server that
# mk/with-postgres.sh installs (Debian's packages, when missing), starts and removes.
#
#   make store-test    cargo test -p watchword-store next to a throwaway PostgreSQL server
.PHONY: store-test

store-test:
	$(WITH_PG) $(CARGO) test --locked -p watchword-store

TEST_TARGETS += store-test
