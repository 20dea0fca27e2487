#!/usr/bin/env bash
# Run the test suite twice: on SQLite, then on a throw-away PostgreSQL cluster that is
# always stopped and removed afterwards. Arguments are passed to both pytest runs.
#
#   scripts/run-tests.sh                 # both passes
#   scripts/run-tests.sh -k login -x     # both passes, filtered
#   MINKA_PYTHON=.venv-latest/bin/python scripts/run-tests.sh   # another virtualenv
#
# Exits non-zero when either pass fails.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
PYTHON=${MINKA_PYTHON:-$ROOT/.venv/bin/python}
if ! "$PYTHON" -c 'import pytest' 2>/dev/null; then
    echo "error: $PYTHON cannot run pytest: run 'make test' (it installs .venv)" >&2
    exit 1
fi
echo "== Python: $PYTHON =="

now_ms() { echo $(( ${EPOCHREALTIME/./} / 1000 )); }
since() { local ms=$(( $(now_ms) - $1 )); printf '%d.%02d s' $((ms / 1000)) $((ms % 1000 / 10)); }

pytest_status() {
    # pytest exits 5 when nothing was collected (e.g. -k matched only browser tests).
    case $1 in
        0) echo passed ;;
        5) echo "no tests ran" ;;
        *) echo "FAILED (exit $1)" ;;
    esac
}

# --- pass 1: SQLite ---------------------------------------------------------------

echo "== pytest on SQLite =="
env -u MINKA_TEST_DATABASE_URL "$PYTHON" -m pytest "$@"
sqlite_rc=$?

# --- pass 2: PostgreSQL -----------------------------------------------------------

PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$PGBIN" ]; then
    echo "error: PostgreSQL server binaries not found (apt-get install -y postgresql)" >&2
    exit 1
fi
PGVERSION=$(basename "$(dirname "$PGBIN")")
PGD=$(mktemp -d -t minka-pg.XXXXXX)
PGPORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])') \
    || { echo "error: no free loopback port" >&2; rm -rf "$PGD"; exit 1; }

# initdb refuses to run as root: as root the cluster belongs to the postgres user.
as_pg() {
    if [ "$(id -u)" = 0 ]; then
        (cd "$PGD" && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

stop_cluster() {
    local t0
    t0=$(now_ms)
    if [ -f "$PGD/data/postmaster.pid" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$PGD/data" -m fast -w stop >/dev/null 2>&1 \
            || kill -9 "$(head -1 "$PGD/data/postmaster.pid")" 2>/dev/null
        rm -rf "$PGD"
        echo "PostgreSQL stopped and removed in $(since "$t0")"
    else
        rm -rf "$PGD"
    fi
}
trap stop_cluster EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$(id -u)" = 0 ]; then
    chown postgres "$PGD"
fi

echo "== starting PostgreSQL $PGVERSION on 127.0.0.1:$PGPORT ($PGD) =="
t0=$(now_ms)
if ! as_pg "$PGBIN/initdb" -D "$PGD/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
        >"$PGD/initdb.log" 2>&1; then
    cat "$PGD/initdb.log" >&2
    echo "error: initdb failed" >&2
    exit 1
fi
if ! as_pg "$PGBIN/pg_ctl" -D "$PGD/data" -l "$PGD/pg.log" -w -o \
        "-p $PGPORT -k $PGD -c listen_addresses=127.0.0.1 -c fsync=off \
         -c synchronous_commit=off -c full_page_writes=off" start >/dev/null; then
    cat "$PGD/pg.log" >&2
    echo "error: PostgreSQL did not start" >&2
    exit 1
fi
as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PGPORT" -U postgres minka_test || exit 1
echo "PostgreSQL ready in $(since "$t0")"

echo "== pytest on PostgreSQL $PGVERSION =="
# The browser journeys do not depend on the database backend: run them once, on SQLite.
MINKA_TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/minka_test" \
    "$PYTHON" -m pytest -m "not browser" "$@"
pg_rc=$?

echo
echo "== summary =="
echo "SQLite:          $(pytest_status $sqlite_rc)"
echo "PostgreSQL $PGVERSION:   $(pytest_status $pg_rc)"

# Nothing collected on PostgreSQL is fine when the SQLite pass ran something (e.g. only
# browser tests were selected).
[ $pg_rc -eq 5 ] && [ $sqlite_rc -eq 0 ] && pg_rc=0
[ $sqlite_rc -eq 0 ] && [ $pg_rc -eq 0 ]
