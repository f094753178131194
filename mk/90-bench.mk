# `make bench`: every surface against its peers in one run (bench/run.py), written to
# bench/results.md. The per-surface targets (bench-rust, bench-c, bench-python, bench-node)
# still run alone.
.PHONY: bench-all bench-liboath

# liboath (OATH Toolkit), the C peer, from Debian when the machine lacks it.
bench-liboath:
	@test -f /usr/include/liboath/oath.h || { echo "installing liboath-dev"; \
		apt-get update && apt-get install -y --no-install-recommends liboath-dev; }

bench-all: bench-liboath python-venv node-deps
	WATCHWORD_PG_DURABLE=1 $(WITH_PG) python3 $(ROOT)/bench/run.py
