#!/usr/bin/env bash
# Runs a command next to a throwaway PostgreSQL server, then removes the server.
#
#   bash mk/with-postgres.sh CMD [ARGS…]
#
# The server is Debian's PostgreSQL (installed with apt-get when `initdb` is missing), with its
# data in a fresh directory under /tmp, listening on a free port of 127.0.0.1 only, TLS on with
# a certificate for `localhost` signed by a CA made for this run, and one superuser that logs in
# with a SCRAM password; fsync is off unless WATCHWORD_PG_DURABLE=1 (benchmarks). CMD runs with:
#
#   WATCHWORD_TEST_PG_URL   postgresql://USER:PASSWORD@127.0.0.1:PORT/DB?sslmode=disable
#   WATCHWORD_TEST_PG_CA    the CA certificate (PEM) that signed the server's certificate
#   WATCHWORD_TEST_PG_DATA  the server's data directory
#   WATCHWORD_TEST_PG_CTL   a command that stops and starts this server:
#                           "$WATCHWORD_TEST_PG_CTL" stop   /   "$WATCHWORD_TEST_PG_CTL" start
#
# The server is stopped and its directory removed when the script exits, whatever CMD did; the
# script exits with CMD's status.
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

log() { echo "with-postgres: $*" >&2; }

pg_bindir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
    if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
        echo "$dir"
    elif command -v initdb >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
    fi
}

BINDIR=$(pg_bindir)
if [ -z "$BINDIR" ]; then
    log "installing PostgreSQL from Debian's packages"
    # No cluster of the package's own: this script makes the only one it needs.
    if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
        mkdir -p /etc/postgresql-common
        echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf
    fi
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold postgresql openssl
    BINDIR=$(pg_bindir)
fi
if [ -z "$BINDIR" ]; then
    log "initdb not found after installing postgresql"
    exit 1
fi
command -v openssl >/dev/null 2>&1 || {
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends openssl
}

# initdb and the server refuse to run as root: run them as `postgres` when we are root.
if [ "$(id -u)" -eq 0 ]; then
    id -u postgres >/dev/null 2>&1 || useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres
    AS_PG=(runuser -u postgres --)
    PG_OWNER=postgres
else
    AS_PG=()
    PG_OWNER=$(id -un)
fi

DIR=$(mktemp -d /tmp/watchword-pg.XXXXXX)
DATA="$DIR/data"
LOGFILE="$DIR/server.log"

cleanup() {
    if [ -f "$DATA/postmaster.pid" ]; then
        "${AS_PG[@]}" "$BINDIR/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free port of 127.0.0.1: one nothing answers on.
port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
PORT=""
for _ in $(seq 1 100); do
    candidate=$((20000 + RANDOM % 40000))
    if port_is_free "$candidate"; then
        PORT=$candidate
        break
    fi
done
if [ -z "$PORT" ]; then
    log "no free port found on 127.0.0.1"
    exit 1
fi

PG_USER=watchword
PG_DB=watchword
PG_PASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')

# A CA made for this run, and the server's certificate for `localhost` (not for 127.0.0.1:
# the TLS tests check that verify-full refuses a host the certificate does not name).
openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 -days 2 \
    -subj "/CN=watchword test CA" -keyout "$DIR/ca.key" -out "$DIR/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 \
    -subj "/CN=localhost" -keyout "$DIR/server.key" -out "$DIR/server.csr" 2>/dev/null
printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
    "extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost" >"$DIR/server.ext"
openssl x509 -req -in "$DIR/server.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -CAcreateserial -days 2 \
    -sha256 -extfile "$DIR/server.ext" -out "$DIR/server.crt" 2>/dev/null
rm -f "$DIR/server.csr" "$DIR/ca.key"
chmod 0600 "$DIR/server.key"
chmod 0644 "$DIR/ca.crt" "$DIR/server.crt"

printf '%s\n' "$PG_PASSWORD" >"$DIR/pwfile"
chmod 0700 "$DIR"
chown -R "$PG_OWNER" "$DIR"

"${AS_PG[@]}" "$BINDIR/initdb" -D "$DATA" -U "$PG_USER" --pwfile="$DIR/pwfile" --auth=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 || {
    cat "$DIR/initdb.log" >&2
    exit 1
}
rm -f "$DIR/pwfile"
cat >>"$DATA/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DIR'
max_connections = 200
ssl = on
ssl_cert_file = '$DIR/server.crt'
ssl_key_file = '$DIR/server.key'
password_encryption = 'scram-sha-256'
EOF
# Tests need no durability; benchmarks (WATCHWORD_PG_DURABLE=1) measure commits as production
# makes them, flushed to the disk.
if [ "${WATCHWORD_PG_DURABLE:-}" != 1 ]; then
    printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' >>"$DATA/postgresql.conf"
fi

# The stop/start command the fault tests use.
cat >"$DIR/pgctl" <<EOF
#!/usr/bin/env bash
# Usage: pgctl stop|start|status — this throwaway server only.
set -eu
case "\${1:-}" in
    stop) exec ${AS_PG[*]} "$BINDIR/pg_ctl" -D "$DATA" -m fast -w stop ;;
    start) exec ${AS_PG[*]} "$BINDIR/pg_ctl" -D "$DATA" -l "$LOGFILE" -w -t 60 start ;;
    status) exec ${AS_PG[*]} "$BINDIR/pg_ctl" -D "$DATA" status ;;
    *) echo "usage: \$0 stop|start|status" >&2; exit 2 ;;
esac
EOF
chmod 0755 "$DIR/pgctl"

"$DIR/pgctl" start >/dev/null || {
    cat "$LOGFILE" >&2
    exit 1
}
PGPASSWORD="$PG_PASSWORD" "$BINDIR/createdb" -h 127.0.0.1 -p "$PORT" -U "$PG_USER" "$PG_DB"
log "PostgreSQL $("$BINDIR/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT (data in $DATA)"

export WATCHWORD_TEST_PG_URL="postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$PORT/$PG_DB?sslmode=disable"
export WATCHWORD_TEST_PG_CA="$DIR/ca.crt"
export WATCHWORD_TEST_PG_DATA="$DATA"
export WATCHWORD_TEST_PG_CTL="$DIR/pgctl"

set +e
"$@"
status=$?
set -e
exit "$status"
