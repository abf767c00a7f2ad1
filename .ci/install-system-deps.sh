#!/usr/bin/env bash
# Debian packages ig_fdw needs to build its runtime and run its tests.
# Used by `make test`, `make demo`, CI (.ci/run) and docker/Dockerfile.
# PG_MAJOR selects the PostgreSQL major version (default 15).
set -euo pipefail
PG_MAJOR="${PG_MAJOR:-15}"
packages=(
  "postgresql-${PG_MAJOR}" "postgresql-server-dev-${PG_MAJOR}"
  build-essential python3 python3-dev python3-venv libpython3-dev
  "postgresql-${PG_MAJOR}-cron"
)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
