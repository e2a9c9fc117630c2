#!/usr/bin/env bash
# What the tests use from Debian beside Python: PostgreSQL (the store, queue and end-to-end tests run on it too;
# tests/pgserver.py starts a throwaway cluster of the installed server) and libfaketime (a worker run hours fast).
# Install what is missing where we may; else say which tests will skip. Never fails the build: SQLite alone is a
# complete test run.
set -u
need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || need+=(postgresql)
ls /usr/lib/*/faketime/libfaketime.so.1 >/dev/null 2>&1 || need+=(faketime)
if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "not installed, and cannot be installed here (needs root and apt-get): ${need[*]};" \
         "their tests will skip. Debian: apt-get install ${need[*]}" >&2
    exit 0
fi
echo "installing ${need[*]} (Debian's packages) for the tests ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1
if ! apt-get install -y -qq "${need[@]}" >/dev/null 2>&1; then
    echo "apt-get install ${need[*]} failed: their tests will skip" >&2
fi
# the postgresql package starts a cluster of its own where it can; the tests start theirs on a free port
exit 0
