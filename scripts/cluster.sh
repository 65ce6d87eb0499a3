#!/usr/bin/env bash
# The scale-out topology on loopback, from real servers: HAProxy in front of 3 `tenantry serve`
# replicas, 2 `tenantry worker`s, a PostgreSQL primary with a streaming replica (their own
# clusters, made with initdb and pg_basebackup), Redis, SeaweedFS (S3) and an SMTP sink.
#
#   scripts/cluster.sh [up]          start everything, print how to reach it, stop on Ctrl-C
#   scripts/cluster.sh start         start everything and return (stop later with `stop`)
#   scripts/cluster.sh stop          stop everything (replicas drain first)
#   scripts/cluster.sh status        one line per part
#   scripts/cluster.sh start-part P  (re)start one part: serve-1..3, worker-1..2, primary, replica
#   scripts/cluster.sh tenantry ...  run a tenantry command against the cluster
#
# State lives in $TENANTRY_CLUSTER_DIR (default ./.cluster); ports start at
# $TENANTRY_CLUSTER_PORT (default 8400: the balancer; the others follow it).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$ROOT/.venv/bin
DIR=${TENANTRY_CLUSTER_DIR:-$ROOT/.cluster}
BASE=${TENANTRY_CLUSTER_PORT:-8400}

LB_PORT=$BASE
STATS_PORT=$((BASE + 9))
PRIMARY_PORT=$((BASE + 11))
REPLICA_PORT=$((BASE + 12))
REDIS_PORT=$((BASE + 13))
SMTP_PORT=$((BASE + 14))
WEED_PORT=$((BASE + 20)) # master; volume, filer, s3, admin and their gRPC ports follow
S3_PORT=$((BASE + 26))
SERVES=(serve-1 serve-2 serve-3)
WORKERS=(worker-1 worker-2)
DRAIN_SECONDS=${TENANTRY_CLUSTER_DRAIN_SECONDS:-3}

say() { echo "cluster: $*" >&2; }
die() { say "$*"; exit 1; }

wait_for() { # wait_for SECONDS WHAT CMD...: until CMD succeeds
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$what did not come up in time (logs: $DIR/log)"
    sleep 0.3
  done
}

serve_port() { echo $((BASE + ${1#serve-})); }

# PostgreSQL refuses to run as root: its clusters belong to the postgres user then.
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
  [ -n "$dir" ] || die "PostgreSQL server binaries not found (apt-get install postgresql)"
  echo "$dir/$1"
}

pid_of() { cat "$DIR/run/$1.pid" 2>/dev/null || true; }
alive() { local pid; pid=$(pid_of "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }

# launch NAME CMD...: run CMD in its own session (Ctrl-C reaches only this script, which
# then stops the parts in order), output to log/NAME.log, pid in run/NAME.pid.
launch() {
  local name=$1
  shift
  setsid "$@" >>"$DIR/log/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/run/$name.pid"
}

install_missing() {
  command -v haproxy >/dev/null || {
    say "installing haproxy"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
  }
  command -v redis-server >/dev/null || {
    say "installing redis-server"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  }
  [ -x "$BIN/tenantry" ] && [ -x "$BIN/weed" ] || die "run 'make .venv/.installed-dev' first"
}

write_env() {
  local secret metrics
  [ -f "$DIR/secret" ] || "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(48))' >"$DIR/secret"
  [ -f "$DIR/metrics-token" ] || "$BIN/python" -c 'import secrets; print(secrets.token_urlsafe(24))' >"$DIR/metrics-token"
  secret=$(cat "$DIR/secret")
  metrics=$(cat "$DIR/metrics-token")
  cat >"$DIR/tenantry.env" <<EOF
export TENANTRY_DATABASE_URL='postgresql+asyncpg://postgres@127.0.0.1:$PRIMARY_PORT/tenantry'
export TENANTRY_DATABASE_REPLICA_URL='postgresql+asyncpg://postgres@127.0.0.1:$REPLICA_PORT/tenantry'
export TENANTRY_DATABASE_POOL_SIZE='5'
export TENANTRY_REDIS_URL='redis://127.0.0.1:$REDIS_PORT/0'
export TENANTRY_STORAGE_URL='s3://tenantry?endpoint_url=http://127.0.0.1:$S3_PORT&region=us-east-1&access_key=tenantry&secret_key=tenantry-secret'
export TENANTRY_SMTP_URL='smtp://127.0.0.1:$SMTP_PORT'
export TENANTRY_SECRET_KEY='$secret'
export TENANTRY_METRICS_TOKEN='$metrics'
export TENANTRY_BASE_URL='http://127.0.0.1:$LB_PORT'
export TENANTRY_EMBEDDED_WORKER='false'
export TENANTRY_TRUSTED_PROXIES='127.0.0.1'
export TENANTRY_ALLOW_PRIVATE_WEBHOOKS='true'
export TENANTRY_DRAIN_SECONDS='$DRAIN_SECONDS'
export TENANTRY_JOB_LEASE_SECONDS='10'
export TENANTRY_JOB_SHUTDOWN_GRACE_SECONDS='5'
export TENANTRY_LOG_FORMAT='json'
export TENANTRY_DATA_DIR='$DIR/data'
EOF
}

start_primary() {
  local pgdir=$DIR/pg data=$DIR/pg/primary
  mkdir -p "$pgdir"
  touch "$DIR/log/primary.log" "$DIR/log/replica.log"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$pgdir" "$DIR/log/primary.log" "$DIR/log/replica.log"; fi
  if [ ! -f "$data/PG_VERSION" ]; then
    as_pg "$(pg_bin initdb)" -D "$data" -U postgres --auth=trust -E UTF8 --no-instructions >/dev/null
    cat >>"$data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $PRIMARY_PORT
unix_socket_directories = '$pgdir'
max_connections = 100
shared_buffers = 32MB
log_line_prefix = '%m [%p] %u@%d '
EOF
  fi
  as_pg "$(pg_bin pg_ctl)" -D "$data" -l "$DIR/log/primary.log" -w -t 60 start >/dev/null
  if ! psql -qtA -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -d postgres \
    -c "SELECT 1 FROM pg_database WHERE datname = 'tenantry'" | grep -q 1; then
    psql -q -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -d postgres -c 'CREATE DATABASE tenantry'
  fi
}

start_replica() {
  local data=$DIR/pg/replica
  if [ ! -f "$data/PG_VERSION" ]; then
    as_pg pg_basebackup -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres -D "$data" -R -X stream -c fast
    # Every statement the replica runs is logged: the proof that routed reads reach it.
    cat >>"$data/postgresql.conf" <<EOF
port = $REPLICA_PORT
hot_standby = on
log_statement = 'all'
EOF
  fi
  as_pg "$(pg_bin pg_ctl)" -D "$data" -l "$DIR/log/replica.log" -w -t 60 start >/dev/null
}

start_redis() {
  mkdir -p "$DIR/redis"
  launch redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$DIR/redis"
  wait_for 20 Redis redis-cli -p "$REDIS_PORT" ping
}

start_smtp() {
  mkdir -p "$DIR/mail/cur" "$DIR/mail/new" "$DIR/mail/tmp" # a Maildir
  launch smtp "$BIN/python" -m aiosmtpd -n -l "127.0.0.1:$SMTP_PORT" \
    -c aiosmtpd.handlers.Mailbox "$DIR/mail"
  wait_for 20 "the SMTP sink" bash -c "exec 3<>/dev/tcp/127.0.0.1/$SMTP_PORT"
}

start_weed() {
  local p=$WEED_PORT
  mkdir -p "$DIR/weed/data" "$DIR/weed/logs"
  AWS_ACCESS_KEY_ID=tenantry AWS_SECRET_ACCESS_KEY=tenantry-secret launch weed \
    "$BIN/weed" -logdir="$DIR/weed/logs" mini -dir="$DIR/weed/data" \
    -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.telemetry=false -webdav=false -admin.ui=false \
    -s3.port.iceberg=0 -s3.port.lance=0 -volume.preStopSeconds=0 \
    -filer.localSocket="$DIR/weed/filer.sock" -s3.localSocket="$DIR/weed/s3.sock" \
    -master.port=$p -master.port.grpc=$((p + 1)) -volume.port=$((p + 2)) \
    -volume.port.grpc=$((p + 3)) -filer.port=$((p + 4)) -filer.port.grpc=$((p + 5)) \
    -s3.port=$S3_PORT -s3.port.grpc=$((p + 7)) -admin.port=$((p + 8)) -admin.port.grpc=$((p + 9))
  wait_for 60 SeaweedFS grep -q "All enabled components are running" "$DIR/log/weed.log"
  wait_for 20 "SeaweedFS S3" curl -s -o /dev/null "http://127.0.0.1:$S3_PORT"
}

tenantry() { (source "$DIR/tenantry.env" && "$BIN/tenantry" "$@"); }

start_serve() {
  local name=$1 port
  port=$(serve_port "$name")
  mkdir -p "$DIR/data"
  # shellcheck disable=SC1091
  (source "$DIR/tenantry.env" && launch "$name" "$BIN/tenantry" serve --host 127.0.0.1 --port "$port")
}

start_worker() {
  (source "$DIR/tenantry.env" && launch "$1" "$BIN/tenantry" worker)
}

ready() { curl -sf -o /dev/null "http://127.0.0.1:$1/readyz"; }

write_haproxy() {
  cat >"$DIR/haproxy.cfg" <<EOF
global
    maxconn 4096
    stats socket $DIR/run/haproxy.sock mode 600 level admin

defaults
    mode http
    log global
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout check 5s
    # A replica that dies under a request: connection failures are retried on another one
    # for every request, lost responses only for idempotent ones (HAProxy's own rule).
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response junk-response response-timeout 502 503 504

frontend tenantry
    bind 127.0.0.1:$LB_PORT
    option forwardfor
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 1s fastinter 500ms downinter 1s fall 2 rise 2
EOF
  for name in "${SERVES[@]}"; do
    echo "    server $name 127.0.0.1:$(serve_port "$name") check" >>"$DIR/haproxy.cfg"
  done
  cat >>"$DIR/haproxy.cfg" <<EOF

listen stats
    bind 127.0.0.1:$STATS_PORT
    stats enable
    stats uri /
    stats refresh 2s
EOF
}

start_all() {
  install_missing
  mkdir -p "$DIR/run" "$DIR/log"
  chmod 755 "$DIR"
  for part in haproxy "${SERVES[@]}" "${WORKERS[@]}" weed smtp redis; do
    alive "$part" && die "already running ($part); stop it first: scripts/cluster.sh stop"
  done
  write_env
  say "PostgreSQL primary on $PRIMARY_PORT"
  start_primary
  say "streaming replica on $REPLICA_PORT"
  start_replica
  say "Redis on $REDIS_PORT, SMTP sink on $SMTP_PORT, SeaweedFS S3 on $S3_PORT"
  start_redis
  start_smtp
  start_weed
  say "migrating"
  tenantry migrate >>"$DIR/log/migrate.log" 2>&1 || die "migrate failed: $DIR/log/migrate.log"
  # The replicas share the data dir's PERSCOM signing key: made once here, not raced for.
  (source "$DIR/tenantry.env" && "$BIN/python" -c \
    'from tenantry.perscom.apikeys import SigningKeys; from tenantry.settings import load_settings; SigningKeys.load(load_settings())')
  for name in "${SERVES[@]}"; do start_serve "$name"; done
  for name in "${WORKERS[@]}"; do start_worker "$name"; done
  for name in "${SERVES[@]}"; do wait_for 90 "$name" ready "$(serve_port "$name")"; done
  write_haproxy
  haproxy -c -q -f "$DIR/haproxy.cfg" || die "bad haproxy.cfg"
  launch haproxy haproxy -db -f "$DIR/haproxy.cfg"
  wait_for 20 HAProxy curl -sf -o /dev/null "http://127.0.0.1:$LB_PORT/readyz"
  for name in "${WORKERS[@]}"; do alive "$name" || die "$name exited: $DIR/log/$name.log"; done
}

banner() {
  cat <<EOF

Tenantry cluster is up: http://127.0.0.1:$LB_PORT  (docs: http://127.0.0.1:$LB_PORT/docs)

  balancer     HAProxy stats http://127.0.0.1:$STATS_PORT/  (3 replicas, health check /readyz)
  replicas     tail -f $DIR/log/serve-{1,2,3}.log   (ports $((BASE + 1))-$((BASE + 3)))
  workers      tail -f $DIR/log/worker-{1,2}.log
  PostgreSQL   psql -h 127.0.0.1 -p $PRIMARY_PORT -U postgres tenantry   (primary)
               psql -h 127.0.0.1 -p $REPLICA_PORT -U postgres tenantry   (streaming replica;
               every statement it runs: tail -f $DIR/log/replica.log)
               replication: psql -h 127.0.0.1 -p $PRIMARY_PORT -U postgres -c 'TABLE pg_stat_replication'
  Redis        redis-cli -p $REDIS_PORT monitor
  S3           SeaweedFS at http://127.0.0.1:$S3_PORT, bucket tenantry   (tail -f $DIR/log/weed.log)
  mail         every message lands in the mailbox $DIR/mail   (tail -f $DIR/log/smtp.log)
  commands     scripts/cluster.sh tenantry tenant create --name Example
  settings     source $DIR/tenantry.env

Stop with Ctrl-C (or make cluster-stop from another terminal).
EOF
}

# stop_pids SECONDS NAME...: SIGTERM, wait, then SIGKILL whatever is left.
stop_parts() {
  local timeout=$1 name pid deadline
  shift
  for name in "$@"; do
    pid=$(pid_of "$name")
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done
  deadline=$((SECONDS + timeout))
  for name in "$@"; do
    while alive "$name" && ((SECONDS < deadline)); do sleep 0.2; done
    if alive "$name"; then
      say "$name did not stop in ${timeout}s: killing it"
      kill -KILL "$(pid_of "$name")" 2>/dev/null || true
    fi
    rm -f "$DIR/run/$name.pid"
  done
}

stop_pg() {
  local data=$DIR/pg/$1
  [ -f "$data/postmaster.pid" ] || return 0
  as_pg "$(pg_bin pg_ctl)" -D "$data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
}

stop_all() {
  [ -d "$DIR/run" ] || return 0
  say "stopping (replicas drain for ${DRAIN_SECONDS}s first)"
  # Replicas first: each fails /readyz, HAProxy takes it out, then it stops accepting.
  stop_parts $((DRAIN_SECONDS + 35)) "${SERVES[@]}" "${WORKERS[@]}"
  stop_parts 10 haproxy weed smtp redis
  stop_pg replica
  stop_pg primary
  say "stopped (state kept in $DIR; delete it for a fresh cluster)"
}

status() {
  local name
  for name in haproxy "${SERVES[@]}" "${WORKERS[@]}" redis smtp weed; do
    if alive "$name"; then echo "$name up (pid $(pid_of "$name"))"; else echo "$name down"; fi
  done
  for name in primary replica; do
    if as_pg "$(pg_bin pg_ctl)" -D "$DIR/pg/$name" status >/dev/null 2>&1; then
      echo "$name up"
    else
      echo "$name down"
    fi
  done
}

start_part() {
  case $1 in
    serve-[123]) stop_parts 5 "$1"; start_serve "$1"; wait_for 90 "$1" ready "$(serve_port "$1")" ;;
    worker-[12]) stop_parts 5 "$1"; start_worker "$1" ;;
    primary) stop_pg primary; start_primary ;;
    replica) stop_pg replica; start_replica ;;
    *) die "unknown part $1 (serve-1..3, worker-1..2, primary, replica)" ;;
  esac
}

command=${1:-up}
case $command in
  up)
    trap 'stop_all; exit 0' INT TERM
    trap 'stop_all' ERR
    start_all
    banner
    while true; do sleep 1; done
    ;;
  start)
    start_all
    say "up: http://127.0.0.1:$LB_PORT"
    ;;
  stop) stop_all ;;
  status) status ;;
  start-part) start_part "${2:?which part}" ;;
  tenantry) shift; tenantry "$@" ;;
  *) die "usage: scripts/cluster.sh [up|start|stop|status|start-part PART|tenantry ARGS]" ;;
esac
