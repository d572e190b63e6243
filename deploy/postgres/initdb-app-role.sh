#!/bin/bash
# docker compose: creates dispatch's restricted role when the postgres container initialises its data directory
# (docker-entrypoint-initdb.d), with the password dispatch-init-keys generated.
set -euo pipefail
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" \
    -v app_password="$(cat /run/secrets/dispatch/app-password)" -f /dispatch/app-role.sql
