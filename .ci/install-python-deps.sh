#!/usr/bin/env bash
# A venv made from Debian's Python (the one the runtime embeds), with ig_fdw's
# dependencies and the test tools.  Usage: install-python-deps.sh VENV_DIR
set -euo pipefail
venv="${1:-.venv}"
here="$(cd "$(dirname "$0")" && pwd)"
if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements-test.txt"
# ig_fdw itself, editable: gives the venv the `ig-fdw` command.
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e "$here/.."
touch "$venv/.installed"
