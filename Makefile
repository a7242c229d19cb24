# Two commands for a newcomer: `make run` serves the site, `make test` runs the suite.
# Both create .venv and install the pinned requirements first (`make install` alone does that).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test test-services lint format clean bench bench-full matrix package bench-large bench-sqlite docs

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

# Migrates the SQLite database and serves http://127.0.0.1:8000; without TikTok credentials
# it starts the bundled fake TikTok on http://127.0.0.1:8765 beside it.
run: install
	$(PY) -m cms_site.devserver

# PYTEST_ARGS passes options through, e.g. make test PYTEST_ARGS="-k callback".
test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# The suite against throwaway PostgreSQL + Redis, as CI runs it (needs root for apt-get).
test-services: install
	eval "$$(scripts/services.sh start)" && trap 'scripts/services.sh stop' EXIT && $(PY) -m pytest

# The benchmark (docs/PERFORMANCE.md), not part of `make test`: quick by default (under two
# minutes); `make bench-full` or BENCH_MODE=full for the long sweep. It installs what it needs
# (wrk via apt-get, PostgreSQL and Redis via scripts/services.sh, requirements-bench.txt).
BENCH_MODE ?= quick
BENCH_STAMP := $(VENV)/.bench-stamp

$(BENCH_STAMP): $(STAMP) requirements-bench.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(PY) -m bench.run --mode $(BENCH_MODE)

bench-full: $(BENCH_STAMP)
	$(PY) -m bench.run --mode full

# A million users against an almost empty database, in one run (docs/PERFORMANCE.md).
bench-large: $(BENCH_STAMP)
	$(PY) -m bench.large

# Returning-user connect on the SQLite default against a dj-rest-auth + allauth peer.
bench-sqlite: $(BENCH_STAMP)
	$(PY) -m bench.sqlite

# The version matrix (noxfile.py): the suite on every supported Python, Django and Wagtail
# combination, each in a new virtualenv (about 8 minutes each). NOX_ARGS="-s edges" runs the
# oldest and the newest only, as CI does; NOX_ARGS="-l" lists the sessions.
matrix: install
	$(VENV)/bin/nox $(NOX_ARGS)

# dist/: the wheel and the sdist, checked as PyPI would check them, and the wheel's files
# against the plugin's tracked files (templates, migrations, py.typed, locale).
package: install
	rm -rf dist
	$(PY) -m build
	$(VENV)/bin/twine check --strict dist/*
	$(PY) scripts/check_wheel.py dist/*.whl

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache --no-logo

# The documentation site (mkdocs.yml): strict, so a broken link or anchor fails the build.
DOCS_STAMP := $(VENV)/.docs-stamp

$(DOCS_STAMP): $(STAMP) requirements-docs.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-docs.txt
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --site-dir var/site

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .nox dist
