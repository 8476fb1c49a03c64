#!/bin/sh
# The PostgreSQL 15 server of the compose file's postgresql profile
# (docker/README.md), as the image's user postgres. On an empty data directory
# (PGDATA, a volume) it first makes the cluster the way docs/operations.md,
# "Running on PostgreSQL, several instances", asks:
#   - initdb with data checksums; fsync and synchronous_commit on, as they are
#     by default, said again so that nobody turns them off unnoticed;
#   - two roles: tte_owner owns the database tte and runs `tte-mothership
#     init` (it creates the tables), tte_app is what `serve` connects as, with
#     only the rights of docker/postgres/grants.sql (given once init has made
#     the tables: the compose file's mothership-pg-grants job);
#   - passwords (SCRAM) from TTE_PG_OWNER_PASSWORD and TTE_PG_APP_PASSWORD;
#     connections over the network for these two roles to the database tte
#     only, from the container's own networks (samenet).
# Then, and on every later start, it runs the server in the foreground.
set -eu
: "${PGDATA:?}"
bootstrapped="$PGDATA/tte-bootstrapped"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  : "${TTE_PG_OWNER_PASSWORD:?tte-postgres: set TTE_PG_OWNER_PASSWORD}"
  : "${TTE_PG_APP_PASSWORD:?tte-postgres: set TTE_PG_APP_PASSWORD}"
  echo "tte-postgres: a new cluster in $PGDATA"
  initdb --pgdata="$PGDATA" --username=postgres --auth-local=peer --auth-host=scram-sha-256 \
    --encoding=UTF8 --locale=C --data-checksums >/dev/null
  cat >>"$PGDATA/postgresql.conf" <<'CONF'

# --- tte-postgres (docker/postgres/entrypoint.sh) ---
listen_addresses = '*'
password_encryption = scram-sha-256
# A claim's 200 is sent once its commit is on disk: never turn these off.
fsync = on
synchronous_commit = on
full_page_writes = on
CONF
  cat >"$PGDATA/pg_hba.conf" <<'HBA'
# TYPE  DATABASE  USER                 ADDRESS  METHOD
local   all       postgres                      peer
local   tte       tte_owner,tte_app             scram-sha-256
host    tte       tte_owner,tte_app    samenet  scram-sha-256
HBA
  # Only the Unix socket while the roles are made.
  pg_ctl --pgdata="$PGDATA" --wait --silent -o "-c listen_addresses=''" start
  psql --no-psqlrc --quiet --set ON_ERROR_STOP=1 --username=postgres --dbname=postgres \
    --set owner_password="$TTE_PG_OWNER_PASSWORD" --set app_password="$TTE_PG_APP_PASSWORD" <<'SQL'
CREATE ROLE tte_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE tte_app LOGIN PASSWORD :'app_password';
CREATE DATABASE tte OWNER tte_owner;
REVOKE ALL ON DATABASE tte FROM PUBLIC;
GRANT CONNECT ON DATABASE tte TO tte_owner, tte_app;
\connect tte
-- The owner creates the tables in the public schema (PostgreSQL 15: only the
-- database's owner may); the application role may use it, not create in it.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO tte_app;
SQL
  pg_ctl --pgdata="$PGDATA" --wait --silent --mode=fast stop
  touch "$bootstrapped"
  echo "tte-postgres: roles tte_owner and tte_app, database tte"
elif [ ! -e "$bootstrapped" ]; then
  echo "tte-postgres: $PGDATA holds a cluster this image did not finish making; remove the volume" >&2
  exit 1
fi

exec postgres -D "$PGDATA"
