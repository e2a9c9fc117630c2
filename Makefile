# The two commands: `make demo` (audit the bundled demo marketplace) and `make test`.
# Each sets up everything it needs: .venv, the package, a headless Chromium.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# the stamp names this folder too: a checkout copied or moved elsewhere installs itself again
STAMP  := $(VENV)/.installed-$(shell (cat pyproject.toml; echo $(CURDIR)) | cksum | cut -d' ' -f1)

.PHONY: demo test unit e2e bench setup browser clean postgres lint

demo: setup
	$(BIN)/auditor demo

test: setup postgres lint
	$(BIN)/python -m pytest -q

lint: setup  # the direction of imports (pyproject.toml's [tool.importlinter] contracts)
	$(BIN)/lint-imports --no-cache

unit: setup
	$(BIN)/python -m pytest -q -m "not e2e"

e2e: setup postgres
	$(BIN)/python -m pytest -q -m e2e

bench: setup
	$(BIN)/python bench/match.py
	$(BIN)/python bench/report.py
	$(BIN)/python bench/crawl.py
	$(BIN)/python bench/console.py
	$(BIN)/python bench/evidence.py
	$(BIN)/python bench/images.py
	$(BIN)/python bench/sites.py

setup: $(STAMP) $(VENV)/.browser

postgres:  # what the tests use from Debian: PostgreSQL (a throwaway cluster is started by the tests) and libfaketime
	@bash tests/ensure-postgres.sh

$(STAMP):
	@if [ -f $(BIN)/auditor ] && [ "$$(dirname "$$(head -1 $(BIN)/auditor | cut -c3-)")" != "$(CURDIR)/$(BIN)" ]; then \
		echo "$(VENV) belongs to another folder (a copied checkout): making a new one here"; rm -rf $(VENV); fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

$(VENV)/.browser: $(STAMP)
	$(BIN)/auditor browser install
	touch $@

clean:
	rm -rf $(VENV) data reports/20*
