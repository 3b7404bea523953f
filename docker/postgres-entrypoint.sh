#!/bin/sh
# Entry point of docker/Dockerfile.postgres. On the first start (no cluster in $PGDATA) it creates the
# cluster, the login role $POSTGRES_USER with the password $POSTGRES_PASSWORD and the database
# $POSTGRES_DB owned by it; then, on every start, it runs postgres in the foreground, listening on every
# address of the container and asking every network client for the password (SCRAM).
#
# The set-up runs a server that listens on its Unix socket only, so the health check (pg_isready over
# TCP) does not pass, and vizd does not connect, before the role and the database exist. The cluster is
# made in $PGDATA.new and renamed to $PGDATA only once complete (both inside the volume, so the rename is
# atomic): a container stopped during the set-up starts it again from scratch, never from half a cluster.
set -eu
PATH=$(echo /usr/lib/postgresql/*/bin):$PATH
: "${POSTGRES_USER:=vizd}" "${POSTGRES_DB:=vizd}"
if [ -z "${POSTGRES_PASSWORD:-}" ]; then
    echo "postgres-entrypoint: set POSTGRES_PASSWORD" >&2
    exit 1
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
    new="$PGDATA.new"
    rm -rf "$new"
    # C locale: text sorts by bytes, as in vizd's SQLite store, so both backends list runs and tags in
    # the same order.
    initdb --pgdata="$new" --username=postgres --encoding=UTF8 --locale=C \
        --auth-local=peer --auth-host=scram-sha-256
    echo "host all all all scram-sha-256" >> "$new/pg_hba.conf"
    pg_ctl --pgdata="$new" --options="-c listen_addresses=''" --wait start
    psql --no-psqlrc --quiet -v ON_ERROR_STOP=1 --username=postgres --dbname=postgres \
        -v user="$POSTGRES_USER" -v password="$POSTGRES_PASSWORD" -v db="$POSTGRES_DB" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'password';
CREATE DATABASE :"db" OWNER :"user";
SQL
    pg_ctl --pgdata="$new" --mode=fast --wait stop
    mv "$new" "$PGDATA"
fi

exec postgres -D "$PGDATA" -c listen_addresses='*'
