#!/usr/bin/env bash
# Prints the newest GLIBC_x.y symbol version the given ELF files require: the oldest glibc
# they load on. With --check FILE, fails unless FILE states that figure in its table row
# "| glibc (Linux) | x.y |" and as "The binaries need glibc x.y or newer".
#
#   bash glibc_floor.sh [--check README.md] ELF...
set -euo pipefail
check=
if [ "${1:-}" = --check ]; then check=$2; shift 2; fi
floor=$(for f in "$@"; do objdump -T "$f"; done | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)
[ -n "$floor" ] || { echo "glibc_floor: no GLIBC_ symbol versions in $*" >&2; exit 1; }
for f in "$@"; do
    echo "glibc_floor: $(basename "$f") needs GLIBC_$(objdump -T "$f" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n 1)"
done
echo "glibc_floor: the artifacts need glibc >= $floor"
if [ -n "$check" ]; then
    grep -q "^| glibc (Linux) | $floor |" "$check" || {
        echo "glibc_floor: $check does not state glibc $floor in its table row '| glibc (Linux) | …'" >&2; exit 1; }
    grep -q "^The binaries need glibc $floor or newer" "$check" || {
        echo "glibc_floor: $check does not say 'The binaries need glibc $floor or newer'" >&2; exit 1; }
    echo "glibc_floor: $(basename "$check") states glibc $floor"
fi
