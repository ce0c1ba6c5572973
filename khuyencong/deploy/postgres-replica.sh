#!/bin/sh
# Entry point of the streaming replica in the scaled stack (docker-compose.scale.yml): on first
# start, copy the primary with pg_basebackup (-R writes the standby settings), then run as a hot
# standby. The row-level security policies and roles come with the copy.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h "$PRIMARY_HOST" -p 5432 -q; do sleep 1; done
  PGPASSWORD="${KC_REPLICATION_PASSWORD:-replicator}" pg_basebackup -h "$PRIMARY_HOST" -p 5432 -U replicator \
    -D "$PGDATA" -R -X stream -c fast
  chmod 700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c hot_standby_feedback=on
