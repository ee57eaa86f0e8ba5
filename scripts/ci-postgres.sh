#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for the repository tests and benchmarks, and print its
# connection URL on stdout (everything else goes to stderr):
#
#   export PROVMARK_TEST_PG_URL=$(bash scripts/ci-postgres.sh)
#
# For a bare Debian machine running as root: installs PostgreSQL with apt-get when no server is
# installed, creates a cluster with initdb in its own directory (it does not touch the Debian
# "main" cluster), listens on 127.0.0.1 only, creates a user and database. Running it again
# finds the cluster running and prints the same URL. `bash scripts/ci-postgres.sh --stop` stops it.
#
# Settings (environment): PROVMARK_PG_DIR (default /var/tmp/provmark-ci-pg), PROVMARK_PG_PORT
# (default 55432). The cluster runs with fsync off (it holds test data only and must be fast) and
# 512 MB of shared buffers, so that the 1,000,000-binding benchmark repository stays in memory.
set -euo pipefail

DIR="${PROVMARK_PG_DIR:-/var/tmp/provmark-ci-pg}"
PORT="${PROVMARK_PG_PORT:-55432}"
DB_USER=provmark
DB_PASSWORD=provmark
DB_NAME=provmark

log() { echo "ci-postgres: $*" >&2; }

find_bindir() {
  local initdb
  initdb=$(ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$initdb" ]; then dirname "$initdb"; fi
}

BINDIR=$(find_bindir)
if [ -z "$BINDIR" ]; then
  log "PostgreSQL is not installed; installing it with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y --no-install-recommends postgresql >&2
  BINDIR=$(find_bindir)
  if [ -z "$BINDIR" ]; then
    log "apt-get installed postgresql but no initdb was found under /usr/lib/postgresql"
    exit 1
  fi
fi

# PostgreSQL refuses to run as root: run the server tools as the postgres user when we are root.
if [ "$(id -u)" = 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    log "creating the postgres system user"
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
  as_pg() { runuser -u postgres -- "$@"; }
  OWNER=postgres
else
  as_pg() { "$@"; }
  OWNER=$(id -un)
fi

DATA="$DIR/data"
SOCK="$DIR/sock"

if [ "${1:-}" = "--stop" ]; then
  if [ -f "$DATA/PG_VERSION" ]; then as_pg "$BINDIR/pg_ctl" -D "$DATA" -m fast -w stop >&2 || true; fi
  exit 0
fi

mkdir -p "$DIR" "$SOCK"
chown "$OWNER" "$DIR" "$SOCK"
chmod 700 "$DIR"

if [ ! -f "$DATA/PG_VERSION" ]; then
  log "initialising a cluster in $DATA with $BINDIR/initdb"
  rm -rf "$DATA"
  # Local (socket) connections trust the OS user; TCP connections need the password.
  as_pg "$BINDIR/initdb" -D "$DATA" -U postgres --encoding=UTF8 --no-locale \
    --auth-local=trust --auth-host=scram-sha-256 >&2
fi

if as_pg "$BINDIR/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  log "cluster in $DATA is already running"
else
  log "starting the cluster on 127.0.0.1:$PORT"
  as_pg "$BINDIR/pg_ctl" -D "$DATA" -l "$DIR/postgresql.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $SOCK -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c shared_buffers=512MB" \
    start >&2 || { tail -n 30 "$DIR/postgresql.log" >&2 || true; exit 1; }
fi

psql_admin() { as_pg "$BINDIR/psql" -h "$SOCK" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

psql_admin -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$DB_USER') THEN
    CREATE ROLE $DB_USER LOGIN PASSWORD '$DB_PASSWORD';
  END IF;
END \$\$;" >&2
if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ]; then
  log "creating database $DB_NAME"
  psql_admin -c "CREATE DATABASE $DB_NAME OWNER $DB_USER" >&2
fi

# pg_prewarm (contrib, shipped with Debian's server package) lets the benchmark load a
# repository into shared buffers before measuring warm lookups; the tests do not need it.
as_pg "$BINDIR/psql" -h "$SOCK" -p "$PORT" -U postgres -d "$DB_NAME" -qAt \
  -c "CREATE EXTENSION IF NOT EXISTS pg_prewarm" >&2 2>/dev/null || log "pg_prewarm is not available (benchmark warms up by queries)"

echo "postgres://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME"
