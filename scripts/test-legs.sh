#!/usr/bin/env bash
# Run the pytest suite on SQLite and on a fresh PostgreSQL database, both legs at once (the
# machine has two cores and each leg is mostly one Python process), then show both outputs.
set -uo pipefail
cd "$(dirname "$0")/.."

services=$(scripts/ensure-services.sh | tail -n1)
export TENANTRY_TEST_REDIS_URL=redis://127.0.0.1:6379/0
logs=$(mktemp -d)

TENANTRY_TEST_DATABASE_URL="" .venv/bin/pytest "$@" >"$logs/sqlite.log" 2>&1 &
sqlite_pid=$!

pg_status=0
pg_pid=""
if [ "$services" = "postgres=yes" ]; then
  db="tenantry_test_$$"
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db" \
    -c "CREATE DATABASE $db" >/dev/null
  TENANTRY_TEST_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:5432/$db" \
    .venv/bin/pytest "$@" >"$logs/postgres.log" 2>&1 &
  pg_pid=$!
fi
wait "$sqlite_pid"
sqlite_status=$?

# The cluster drills (make cluster-test) start once the SQLite leg is done, on the core it
# leaves free (the PostgreSQL leg runs longer): they start the whole topology, kill parts of
# it under load, and spend most of their few minutes waiting for restarts and drains.
cluster_status=0
cluster_pid=""
if [ "$#" -eq 0 ]; then
  TENANTRY_CLUSTER_TEST=1 timeout 420 .venv/bin/pytest tests/cluster -q -p no:randomly \
    -p no:cacheprovider >"$logs/cluster.log" 2>&1 &
  cluster_pid=$!
fi

if [ -n "$pg_pid" ]; then
  wait "$pg_pid"
  pg_status=$?
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
    >/dev/null 2>&1 || true
fi
if [ -n "$cluster_pid" ]; then
  wait "$cluster_pid"
  cluster_status=$?
fi

echo "=== pytest on SQLite ==="
cat "$logs/sqlite.log"
if [ "$services" = "postgres=yes" ]; then
  echo "=== pytest on PostgreSQL ==="
  cat "$logs/postgres.log"
else
  echo "!!! PostgreSQL leg SKIPPED: no PostgreSQL on this machine !!!"
fi
if [ -n "$cluster_pid" ]; then
  echo "=== cluster drills (tests/cluster) ==="
  cat "$logs/cluster.log"
fi
rm -rf "$logs"
echo "legs: sqlite exit $sqlite_status, postgres exit $pg_status, cluster exit $cluster_status"
[ "$sqlite_status" -eq 0 ] && [ "$pg_status" -eq 0 ] && [ "$cluster_status" -eq 0 ]
