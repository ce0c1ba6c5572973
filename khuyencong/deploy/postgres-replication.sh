#!/bin/sh
# PostgreSQL first-start script of the primary in the scaled stack (docker-compose.scale.yml):
# a replication role and the pg_hba line that lets the replica stream from this server.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '${KC_REPLICATION_PASSWORD:-replicator}';
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
