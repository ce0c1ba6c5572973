#!/bin/sh
# PostgreSQL first-start script (docker-entrypoint-initdb.d): the login role the web
# server, worker and beat use. It owns nothing and is a member of kc_app, the role the
# row-level security policies apply to; migrations run as the owner (POSTGRES_USER).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
DO \$\$ BEGIN CREATE ROLE kc_app NOLOGIN NOSUPERUSER NOBYPASSRLS; EXCEPTION WHEN duplicate_object THEN NULL; END \$\$;
CREATE ROLE kc_web LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD '${KC_WEB_PASSWORD:-kc_web}';
GRANT kc_app TO kc_web;
-- JIT only costs on the portal's short queries (the backend also turns it off per transaction).
ALTER ROLE kc_web SET jit = off;
GRANT CONNECT ON DATABASE "$POSTGRES_DB" TO kc_web;
SQL
