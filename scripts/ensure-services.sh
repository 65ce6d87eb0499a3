#!/usr/bin/env bash
# Make sure the services the test suite talks to are running: PostgreSQL on 127.0.0.1:5432
# and Redis on 127.0.0.1:6379. Starts them when they are down; installs Redis if missing.
# Prints "postgres=yes|no" on its last line so the Makefile knows whether to run that leg.
set -uo pipefail

say() { echo "ensure-services: $*" >&2; }

wait_for() {  # wait_for SECONDS CMD...
  local deadline=$((SECONDS + $1)); shift
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then return 1; fi
    sleep 0.5
  done
}

postgres=no
if command -v pg_isready >/dev/null && ls /etc/postgresql >/dev/null 2>&1; then
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    say "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start || true
    wait_for 60 pg_isready -q -h 127.0.0.1 -p 5432 || say "PostgreSQL did not come up"
  fi
  pg_isready -q -h 127.0.0.1 -p 5432 && postgres=yes
else
  say "!!! PostgreSQL is not installed on this machine: the PostgreSQL leg will be SKIPPED !!!"
fi

if ! command -v redis-server >/dev/null; then
  say "installing redis-server"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2 || true
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  say "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp >&2 || true
  wait_for 20 redis-cli -h 127.0.0.1 -p 6379 ping || say "Redis did not come up"
fi

echo "postgres=$postgres"
