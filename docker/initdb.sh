#!/usr/bin/env bash
# Runs once when the container's database is created: sql/setup.sql with the
# credentials from the environment (docker/instagram.env), and sql/sandbox.sql
# when IG_SANDBOX_URL is set.
set -euo pipefail
if [ -z "${IG_CLIENT_ID:-}" ]; then
  echo "ig_fdw: IG_CLIENT_ID is not set; skipping set-up (CREATE EXTENSION multicorn only)"
  psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "CREATE EXTENSION IF NOT EXISTS multicorn"
  exit 0
fi
psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" \
  -v business_account_id="${IG_BUSINESS_ACCOUNT_ID}" -v client_id="${IG_CLIENT_ID}" \
  -v client_secret="${IG_CLIENT_SECRET}" -v verifier="${IG_VERIFIER:-}" \
  -f /opt/ig_fdw/sql/setup.sql
if [ -n "${IG_SANDBOX_URL:-}" ]; then
  psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" \
    -v sandbox_url="${IG_SANDBOX_URL}" -v sandbox_dialog_url="${IG_SANDBOX_URL}/v22.0/dialog/oauth" \
    -f /opt/ig_fdw/sql/sandbox.sql
fi
