# `make bench`: every surface against its peers in one run (bench/run.py), written to
# bench/results.md. The per-surface targets (bench-rust, bench-c, bench-python, bench-node)
# still run alone, and so does the server's (bench-server).
.PHONY: bench-all bench-liboath bench-wrk bench-server

# liboath (OATH Toolkit), the C peer, from Debian when the machine lacks it.
bench-liboath:
	@test -f /usr/include/liboath/oath.h || { echo "installing liboath-dev"; \
		apt-get update && apt-get install -y --no-install-recommends liboath-dev; }

# wrk, the HTTP load generator of the server's benchmark (bench/server.py), from Debian when the
# machine lacks it.
bench-wrk:
	@command -v wrk >/dev/null || { echo "installing wrk"; \
		apt-get update && apt-get install -y --no-install-recommends wrk; }

# `watchword serve` against an axum hello-world under wrk (memory store, SQLite NORMAL and FULL);
# prints its table, which make bench puts in bench/results.md.
bench-server: bench-wrk
	python3 $(ROOT)/bench/server.py --out $(TARGET_DIR)/bench/server.md

bench-all: bench-liboath bench-wrk python-venv node-deps
	WATCHWORD_PG_DURABLE=1 $(WITH_PG) python3 $(ROOT)/bench/run.py
