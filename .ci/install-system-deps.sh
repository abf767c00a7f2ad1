#!/usr/bin/env bash
# Debian packages ig_fdw needs to build its runtime and run its tests.
# Used by `make test`, `make demo`, CI (.ci/run) and docker/Dockerfile.
#
# PG_MAJOR selects the PostgreSQL major version.  Default: the newest one
# installed (/usr/lib/postgresql/N), else the one apt's `postgresql`
# package depends on (15 on Debian 12, 17 on Debian 13), so that the
# server-dev package always matches the server.  The Python packages are
# the distribution's python3 (3.11 on Debian 12, 3.13 on Debian 13).
# PRINT_ONLY=1 prints the missing packages instead of installing them.
set -euo pipefail
PG_LIBROOT="${PG_LIBROOT:-/usr/lib/postgresql}"

installed_major() {
  ls -1 "$PG_LIBROOT" 2>/dev/null | grep -E '^[0-9]+$' | sort -n | tail -n 1 || true
}

apt_major() {
  apt-cache depends postgresql 2>/dev/null | sed -nE 's/^ *Depends: postgresql-([0-9]+)$/\1/p' | head -n 1 || true
}

apt_updated=0
apt_update() {
  if [ "$apt_updated" -eq 0 ]; then
    apt-get update -qq
    apt_updated=1
  fi
}

PG_MAJOR="${PG_MAJOR:-$(installed_major)}"
if [ -z "$PG_MAJOR" ]; then
  PG_MAJOR="$(apt_major)"
  if [ -z "$PG_MAJOR" ] && [ "$(id -u)" -eq 0 ]; then
    apt_update
    PG_MAJOR="$(apt_major)"
  fi
fi
if [ -z "$PG_MAJOR" ]; then
  echo "no PostgreSQL installed and apt offers none: install PostgreSQL, or set PG_MAJOR" >&2
  exit 1
fi

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
if [ "${PRINT_ONLY:-}" = 1 ]; then
  echo "${missing[*]}"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt_update
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
