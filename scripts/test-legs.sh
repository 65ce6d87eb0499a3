#!/usr/bin/env bash
# Run the pytest suite once on SQLite and once on a fresh PostgreSQL database.
set -euo pipefail
cd "$(dirname "$0")/.."

services=$(scripts/ensure-services.sh | tail -n1)
export TENANTRY_TEST_REDIS_URL=redis://127.0.0.1:6379/0

echo "=== pytest on SQLite ==="
TENANTRY_TEST_DATABASE_URL="" .venv/bin/pytest "$@"

if [ "$services" = "postgres=yes" ]; then
  db="tenantry_test_$$"
  psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db" \
    -c "CREATE DATABASE $db" >/dev/null
  trap 'psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS '"$db"' WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
  echo "=== pytest on PostgreSQL ($db) ==="
  TENANTRY_TEST_DATABASE_URL="postgresql+asyncpg://postgres@127.0.0.1:5432/$db" .venv/bin/pytest "$@"
else
  echo "!!! PostgreSQL leg SKIPPED: no PostgreSQL on this machine !!!"
fi
