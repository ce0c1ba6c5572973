#!/bin/sh
# Entry point of PgBouncer in the scaled stack (docker-compose.scale.yml): transaction pooling in
# front of the primary (database "khuyencong") and the replica ("khuyencong_replica"). The portal
# sets its row-level-security scope per transaction, so transaction pooling is safe; the
# application connects as kc_web (a member of kc_app), never with SET ROLE.
set -eu
mkdir -p /tmp/pgbouncer
cat > /tmp/pgbouncer/userlist.txt <<USERS
"kc_web" "${KC_WEB_PASSWORD:-kc_web}"
USERS
cat > /tmp/pgbouncer/pgbouncer.ini <<INI
[databases]
khuyencong = host=postgres port=5432 dbname=khuyencong
khuyencong_replica = host=postgres-replica port=5432 dbname=khuyencong
[pgbouncer]
listen_addr = 0.0.0.0
listen_port = 6432
auth_type = scram-sha-256
auth_file = /tmp/pgbouncer/userlist.txt
pool_mode = transaction
default_pool_size = ${PGBOUNCER_POOL_SIZE:-20}
max_client_conn = ${PGBOUNCER_MAX_CLIENTS:-500}
; a client waits at most this long for a server: a dead replica fails fast, the router falls back
query_wait_timeout = 10
server_connect_timeout = 3
ignore_startup_parameters = extra_float_digits,options
INI
exec pgbouncer /tmp/pgbouncer/pgbouncer.ini
