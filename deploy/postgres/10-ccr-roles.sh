#!/bin/sh
# The two roles of README "Audit chain and database roles": the owner migrates, the app role gets
# its privileges from `ccr migrate` (run by `ccr serve`). Runs once, on an empty data directory.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" \
    -v owner_password="$OWNER_DB_PASSWORD" -v app_password="$APP_DB_PASSWORD" <<'SQL'
CREATE ROLE ccr_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE ccr_app LOGIN PASSWORD :'app_password';
CREATE DATABASE ccr OWNER ccr_owner;
SQL
