#!/usr/bin/env bash
# The tests run the store, queue and end-to-end tests on PostgreSQL too (tests/pgserver.py starts a throwaway
# cluster of the installed server). Install Debian's server where it is missing and we may; else say why the
# [postgresql] tests will skip. Never fails the build: SQLite alone is a complete test run.
set -u
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "PostgreSQL is not installed and cannot be installed here (needs root and apt-get):" \
         "the [postgresql] tests will skip. Debian: apt-get install postgresql" >&2
    exit 0
fi
echo "installing PostgreSQL (Debian's postgresql package) for the tests ..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1
if ! apt-get install -y -qq postgresql >/dev/null 2>&1; then
    echo "apt-get install postgresql failed: the [postgresql] tests will skip" >&2
fi
# the package starts a cluster of its own where it can; the tests start theirs on a free port, so it is left be
exit 0
