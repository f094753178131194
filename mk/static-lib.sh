#!/usr/bin/env bash
# Copies libwatchword.a with the bundled SQLite's symbols renamed (sqlite3_* → ww_sqlite3_*),
# so that a program may link the static library beside its own SQLite (-lsqlite3) and each
# keeps its own. The renaming covers definitions and references alike, inside every member.
#
#   bash mk/static-lib.sh SRC.a DST.a
set -euo pipefail
src=$1
dst=$2
map=$(mktemp)
trap 'rm -f "$map"' EXIT
nm --defined-only "$src" 2>/dev/null | awk '$3 ~ /^sqlite3/ { print $3 " ww_" $3 }' | sort -u > "$map"
if [ ! -s "$map" ]; then
    echo "static-lib: no bundled SQLite symbols found in $src" >&2
    exit 1
fi
objcopy --redefine-syms="$map" "$src" "$dst.tmp"
mv -f "$dst.tmp" "$dst"
echo "static-lib: $(wc -l < "$map") SQLite symbols renamed in $(basename "$dst")"
