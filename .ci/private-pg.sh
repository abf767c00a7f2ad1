#!/usr/bin/env bash
# Copy an installed PostgreSQL tree (bin, lib, share, server headers) into a
# private directory, so that the runtime can be built and installed there
# without touching the system tree.  PostgreSQL's binaries find their lib and
# share directories relative to themselves, so the copy works where it lands.
#
#   .ci/private-pg.sh DEST [SOURCE_PG_CONFIG]     prints DEST's pg_config
set -euo pipefail
dest="$1"
src_pg_config="${2:-pg_config}"
bindir="$("$src_pg_config" --bindir)"
libdir="$("$src_pg_config" --pkglibdir)"
sharedir="$("$src_pg_config" --sharedir)"
incdir="$("$src_pg_config" --includedir-server)"
pkginc="$("$src_pg_config" --pkgincludedir)"
copy() {  # copy DIR to DEST/DIR, once
  [ -e "$dest$1" ] && return 0
  mkdir -p "$dest$(dirname "$1")"
  cp -a "$1" "$dest$1"
}
copy "$(dirname "$bindir")"
copy "$libdir"
copy "$sharedir"
copy "$pkginc"
copy "$incdir"
chmod -R a+rX "$dest"
echo "$dest$bindir/pg_config"
