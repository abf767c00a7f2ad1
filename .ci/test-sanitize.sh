#!/usr/bin/env bash
# make test-sanitize: the runtime (pgext/) built with AddressSanitizer and
# UndefinedBehaviorSanitizer, installed into a PRIVATE copy of the PostgreSQL
# tree, and tests/runtime run against it.  Fails when a sanitizer reports
# anything in the runtime's code (multicorn.so).
#
#   .ci/test-sanitize.sh [pytest args...]    (default: tests/runtime, minus the two
#                                             tests that cannot hold under ASan, below)
#   env: PG_CONFIG (the tree to copy, default pg_config), SANITIZE_PG_DIR
#        (where the private tree goes, default .sanitize/pg), PYTHON.
#
# How (like PostgreSQL's buildfarm animals with sanitizers):
#  - COPT adds -fsanitize=address,undefined and -fno-wrapv: PostgreSQL builds
#    with -fwrapv, which would hide signed overflow from UBSan.
#  - Debian's postgres is not instrumented, so libasan is preloaded into the
#    server (LD_PRELOAD) with nls_shim.so after it (see .ci/nls_shim.c: the
#    libgpg-error/bindtextdomain deadlock at startup).
#  - PYTHONMALLOC=malloc: Python's small-object allocator would otherwise keep
#    freed objects in its own arenas, out of ASan's sight.
#  - detect_leaks=0: PostgreSQL frees by exiting; UBSan and ASan log to files
#    that are summarized at the end.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-/usr/bin/python3}"
VPY="$root/.venv/bin/python"
dest="${SANITIZE_PG_DIR:-$root/.sanitize/pg}"
src_pg_config="${PG_CONFIG:-pg_config}"

pg_config="$("$root/.ci/private-pg.sh" "$dest" "$src_pg_config")"
work="$(mktemp -d /tmp/igfdw-sanitize-XXXXXX)"
chmod 755 "$work"
mkdir -m 1777 "$work/logs"
libasan="$(readlink -f "$(gcc -print-file-name=libasan.so)")"
gcc -shared -fPIC -O2 -o "$work/nls_shim.so" "$root/.ci/nls_shim.c"
chmod 755 "$work/nls_shim.so"

# The normal objects in pgext/ must not be reused, nor the sanitized ones
# afterwards: clean before and after.
make -s -C "$root/pgext" clean
trap 'make -s -C "$root/pgext" clean >/dev/null 2>&1 || true' EXIT
export COPT="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-wrapv -O1 -g"
export IGFDW_SERVER_ENV="LD_PRELOAD=$libasan:$work/nls_shim.so PYTHONMALLOC=malloc \
ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0:log_path=$work/logs/asan \
UBSAN_OPTIONS=print_stacktrace=1:log_path=$work/logs/ubsan"

# Not run here: the memory bound of test_hardening (ASan's quarantine keeps
# freed memory, so the backend grows by design) and test_build (it checks
# `make install` against the system tree's layout, not the runtime's code).
cd "$root"
if [ $# -eq 0 ]; then
  set -- tests/runtime \
    --deselect tests/runtime/test_hardening.py::test_memory_bounded_over_100000_parameterized_rescans \
    --ignore tests/runtime/test_build.py
fi
start=$(date +%s)
set +e
PG_CONFIG="$pg_config" PYTHON="$PYTHON" "$VPY" -m pytest -q -p no:cacheprovider "$@"
status=$?
set -e
echo "test-sanitize: tests/runtime took $(( $(date +%s) - start ))s (pytest exit status $status)"

# A report is the runtime's when a frame is in multicorn.so or its sources.
ours=0
for f in "$work"/logs/*; do
  [ -e "$f" ] || continue
  echo "==== $(basename "$f") (first lines)"
  head -n 12 "$f"
  if grep -qE 'multicorn\.so|src/[a-z_]+\.c:' "$f"; then ours=$((ours + 1)); fi
done
reports=$(find "$work/logs" -type f | wc -l)
echo "test-sanitize: $reports sanitizer report(s), $ours in the runtime (multicorn.so); full logs in $work/logs"
if [ "$ours" -gt 0 ] || [ "$status" -ne 0 ]; then
  exit 1
fi
