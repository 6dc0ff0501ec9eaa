#!/usr/bin/env bash
# Throwaway PostgreSQL 15 cluster on 127.0.0.1:54329 (trust auth, no fsync: test data only), with an
# empty database saeh_test. Run as root. Recipe: shared/docs/reference/deps.md §2.
#   PG_DIR   working folder (default /tmp/saeh-pg); wiped at start
#   PG_PORT  port (default 54329)
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
D=${PG_DIR:-/tmp/saeh-pg}
PORT=${PG_PORT:-54329}

if [ -f "$D/data/postmaster.pid" ]; then
  su postgres -c "$PGBIN/pg_ctl -D $D/data -m immediate stop" >/dev/null 2>&1 || true
fi
rm -rf "$D"
install -d -o postgres -g postgres "$D"
su postgres -c "$PGBIN/initdb -D $D/data -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >$D/initdb.log"
su postgres -c "$PGBIN/pg_ctl -D $D/data -l $D/pg.log -w -o \"-c listen_addresses=127.0.0.1 -p $PORT -k $D -c fsync=off -c synchronous_commit=off -c full_page_writes=off\" start" >/dev/null
psql -h 127.0.0.1 -p "$PORT" -U postgres -q -c 'create database saeh_test'
echo "pg-up: PostgreSQL ready: postgres://postgres@127.0.0.1:$PORT/saeh_test (folder $D)"
