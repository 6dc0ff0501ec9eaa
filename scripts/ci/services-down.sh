#!/usr/bin/env bash
# Stops what pg-up.sh and ceph-up.sh started and removes their folders. Safe to run twice.
set -uo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
D=${PG_DIR:-/tmp/saeh-pg}
C=${CEPH_DIR:-/tmp/saeh-ceph}

if [ -f "$D/data/postmaster.pid" ]; then
  su postgres -c "$PGBIN/pg_ctl -D $D/data -m fast stop" >/dev/null 2>&1 || true
fi
rm -rf "$D"

if [ -d "$C" ]; then
  for f in "$C"/run/*.pid; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  for _ in $(seq 1 20); do
    alive=0
    for f in "$C"/run/*.pid; do [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for f in "$C"/run/*.pid; do [ -f "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true; done
  rm -rf "$C"
fi
echo "services-down: done"
