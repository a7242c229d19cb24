#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis on loopback, for tests and the two-database CI run.
#
#   eval "$(scripts/services.sh start)"   # starts both, prints DATABASE_URL / REDIS_URL exports
#   scripts/services.sh stop               # stops both and removes their data
#
# Installs the Debian packages when missing (needs root, as on CI machines). State lives in
# $SERVICES_DIR (default /tmp/tiktok-mobile-auth-services). Fsync is off: test data only.
set -euo pipefail

DIR=${SERVICES_DIR:-/tmp/tiktok-mobile-auth-services}
PG_PORT=${PG_PORT:-54329}
REDIS_PORT=${REDIS_PORT:-63799}

log() { echo "services: $*" >&2; }

install_packages() {
  local missing=()
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  if ((${#missing[@]})); then
    log "installing ${missing[*]}"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  fi
}

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
  install_packages
  stop_quietly
  mkdir -p "$DIR"
  local pgbin
  pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  mkdir -p "$DIR/pg"
  [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR/pg"
  as_postgres "$pgbin/initdb" -D "$DIR/pg" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  as_postgres "$pgbin/pg_ctl" -D "$DIR/pg" -l "$DIR/pg/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $DIR/pg -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >&2
  "$pgbin/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE app" >&2
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no --daemonize yes \
    --pidfile "$DIR/redis.pid" --logfile "$DIR/redis.log" --dir "$DIR" >&2
  for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$REDIS_PORT" ping >/dev/null
  log "PostgreSQL on 127.0.0.1:$PG_PORT, Redis on 127.0.0.1:$REDIS_PORT"
  echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/app"
  echo "export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
}

stop_quietly() {
  local pgbin
  pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -n "$pgbin" ] && [ -f "$DIR/pg/postmaster.pid" ]; then
    as_postgres "$pgbin/pg_ctl" -D "$DIR/pg" -m fast -w stop >/dev/null 2>&1 || true
  fi
  if [ -f "$DIR/redis.pid" ]; then
    local pid
    pid=$(cat "$DIR/redis.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -rf "$DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop_quietly; log "stopped" ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
