# ig_fdw: `make test` runs every test, `make demo` starts the product locally.
# Both install what they need (Debian packages, a venv from /usr/bin/python3,
# the runtime in pgext/) on a fresh Debian machine.

PYTHON ?= /usr/bin/python3
PG_CONFIG ?= pg_config
VENV ?= .venv
VPY := $(VENV)/bin/python

.PHONY: test test-matrix test-sanitize demo demo-stop runtime deps venv bench clean

deps:
	bash .ci/install-system-deps.sh

$(VENV)/.installed: .ci/requirements-test.txt .ci/install-python-deps.sh
	bash .ci/install-python-deps.sh $(VENV)

venv: deps $(VENV)/.installed

runtime: deps
	$(MAKE) -C pgext install PYTHON=$(PYTHON) PG_CONFIG=$(PG_CONFIG)

test: venv runtime
	PG_CONFIG=$(PG_CONFIG) PYTHON=$(PYTHON) $(VPY) -m pytest tests -q -p no:cacheprovider

# The runtime on PostgreSQL 16 and 18 (from PyPI wheels) and Python 3.12/3.13,
# each built into a private tree under .cache/matrix: see .ci/matrix.py.
test-matrix: venv
	BASE_PG_CONFIG=$(PG_CONFIG) $(VPY) .ci/matrix.py

# tests/runtime against the runtime built with ASan + UBSan, in a private copy
# of PG_CONFIG's tree (.ci/test-sanitize.sh; slow, not part of `make test`).
test-sanitize: venv
	PG_CONFIG=$(PG_CONFIG) PYTHON=$(PYTHON) bash .ci/test-sanitize.sh

demo: venv runtime
	$(VPY) -m tests.demo start

demo-stop:
	$(VPY) -m tests.demo stop

bench: venv runtime
	$(VPY) bench/runtime.py

clean:
	$(MAKE) -C pgext clean
