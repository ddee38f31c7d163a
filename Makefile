# Entry points of the book. `make` alone lists them.
# The book's own Python environment lives in .venv/ and is made on first use.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# MXNet 1.9.1 needs NumPy 1.23.5, which exists for CPython 3.11 only.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
# The venv's tools (pandoc, sphinx-build, jupyter) come first on PATH.
RUN    := PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY)

SOURCES := config.ini index.md $(wildcard chapters/*.md img/* TWINS.tsv) \
           $(wildcard booktools/*.py booktools/static/*) requirements.txt \
           constraints.txt requirements-lock.txt

.PHONY: help html test lint twins-accept notebooks lab serve pdf bench lock mutants clean distclean

help: ## Show the targets
	@echo "Targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | \
	  awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements.txt constraints.txt requirements-lock.txt \
                    pyproject.toml
	@[ -n "$(PYTHON)" ] || { echo "error: no python3 found; install Python 3.11 (Debian/Ubuntu: apt-get install python3.11 python3.11-venv)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' || { \
	  echo "error: $(PYTHON) is Python $$($(PYTHON) -c 'import platform; print(platform.python_version())'); this book needs Python 3.11 (MXNet 1.9.1 needs NumPy 1.23.5, which has no wheel for newer Pythons). Install python3.11 and python3.11-venv, or run: make PYTHON=/path/to/python3.11"; exit 1; }
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { \
	  echo "error: $(PYTHON) cannot make virtual environments; install it with: apt-get install python3.11-venv"; exit 1; }
	@# A lock older than requirements.txt's pins stops here, naming the line.
	$(PYTHON) -m booktools.lock --check
	$(PYTHON) -m booktools.sysdeps html
	$(PYTHON) -m venv $(VENV)
	@# The lock, every file checked against its SHA-256: a swapped or
	@# tampered file fails the install, naming its package.
	@# --use-pep517 builds sdists in isolation: pandoc-attributes' setup.py
	@# breaks if it can import the pypandoc this same install brings.
	$(PY) -m pip install --quiet --use-pep517 --require-hashes \
	  -r requirements-lock.txt
	@# booktools itself, editable, for the entry point of its kernel
	@# provisioner (pyproject.toml says why); nothing but setuptools to fetch.
	$(PY) -m pip install --quiet --no-deps -e .
	@# pypandoc-binary ships pandoc inside the wheel; put it on the venv's PATH.
	ln -sf "$$($(PY) -c 'import pypandoc, os; print(os.path.join(os.path.dirname(pypandoc.__file__), "files", "pandoc"))')" $(VENV)/bin/pandoc
	$(PY) -m pip check
	touch $@

# The list of sources, rewritten only when a source is added or removed (its
# recipe runs every time; make then sees its date changed only if it was
# rewritten), so that a deletion rebuilds too.
SOURCE_LIST := _build/sources.txt
$(SOURCE_LIST): FORCE
	@mkdir -p $(@D)
	@echo '$(SOURCES)' | cmp -s - $@ || echo '$(SOURCES)' > $@
FORCE:  # no recipe, no file: always out of date

# The build stamps .done with its start time: a file saved during the build
# is newer than it, so the next `make html` builds again.
_build/html/.done: $(VENV)/.installed $(SOURCES) $(SOURCE_LIST)
	$(RUN) -m booktools.build html

html: _build/html/.done ## Evaluate every notebook and render the HTML book into _build/html/

lint: $(VENV)/.installed ## Check the bilingual sources (twins, stale twins, glossary, spacing)
	$(RUN) -m booktools.lint

# FILE=chapters/x.md accepts that file's stale twins, FILE=chapters/x.md:12
# the one lint reported at that line; without FILE, every pair of the book.
twins-accept: $(VENV)/.installed ## Record the English of stale Korean twins as translated (FILE=path[:line])
	$(RUN) -m booktools.twins accept $(FILE)

notebooks: html ## English, Korean and bilingual .ipynb, with outputs and without (practice-*), in _build/notebooks/ (+ zip)
	$(RUN) -m booktools.notebooks

LAB_PORT ?= 8888
lab: notebooks ## Open the notebooks in JupyterLab (LAB_PORT=8888), with the book's own kernel; Ctrl+C twice stops it
	@# JUPYTER_PATH first: this venv's `python3` kernel (with MXNet) wins over
	@# any `python3` kernel installed in the user's home.
	@# --config: no news feed, no update check, no PyPI search (booktools/lab/).
	JUPYTER_PATH="$(CURDIR)/$(VENV)/share/jupyter" $(RUN) -m jupyter lab \
	  --config="$(CURDIR)/booktools/lab/jupyter_lab_config.py" \
	  --port=$(LAB_PORT) --notebook-dir=_build/notebooks \
	  $$([ "$$(id -u)" = 0 ] && echo --allow-root)

# Not `serve: html`: serve builds by itself, and keeps serving (and
# watching) when a build fails.
PORT ?= 8000
serve: $(VENV)/.installed ## Serve _build/html on localhost; rebuild it on every save
	$(RUN) -m booktools.serve --port $(PORT)

pdf: html ## English, Korean and bilingual PDFs in _build/pdf/ (installs TeX as root)
	$(RUN) -m booktools.sysdeps pdf
	$(RUN) -m booktools.pdf

bench: $(VENV)/.installed ## Time cold, prose-edit, code-edit and no-change builds and make serve's reload, in this book and in books of 40 and 160 notebooks
	@# Chromium: (c") times the served page's reload in a real browser.
	$(RUN) -m booktools.sysdeps test
	$(RUN) -m booktools.bench
	@# The same edits in books of 5, 40 and 160 notebooks (copies of the
	@# lessons): what the tooling costs as a book grows.
	$(RUN) -m booktools.bench --scale

# The tests' npm tools (package.json says which and why), as locked in
# package-lock.json. --ignore-scripts: vnu-jar's install script would
# download a Java; the tests use Debian's (booktools/sysdeps.py).
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || $(PYTHON) -m booktools.sysdeps npm
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

# The test suite's workers; two suit this book's two-core machines (each
# worker's builds use both cores in turn). `make test TEST_WORKERS=0` runs
# the suite in pytest's own process, without workers.
TEST_WORKERS ?= 2

test: html lint node_modules/.installed ## Build the book, then run the whole test suite
	$(RUN) -m booktools.sysdeps test pdf
	@# Two workers (pytest-xdist): most tests wait on a build, a kernel or
	@# a browser. --dist loadgroup keeps the tests that write under the
	@# book's own _build/ on one worker (tests/conftest.py). -v names each
	@# test as it ends; --durations lists the slowest at the end.
	$(RUN) -m pytest -v -n $(TEST_WORKERS) --dist loadgroup --durations=15 tests

# Not part of `make test`: each listed breakage costs a build and a run of
# the suite (booktools/mutants.py says which; NAME=... runs some).
mutants: html node_modules/.installed ## Break the tooling on purpose, one listed place at a time; fail if the suite stays green
	$(RUN) -m booktools.sysdeps test pdf
	$(RUN) -m booktools.mutants $(NAME)

# uv resolves requirements.txt for `make lock`, from a small venv of its own:
# the book's environment cannot be installed while its lock is stale.
# 0.13.9: the newest uv; `uv pip compile --generate-hashes` writes the lock.
UV_VERSION := 0.13.9
UV := _build/uv/bin/uv
$(UV):
	$(PYTHON) -m venv $(dir $(@D))
	$(dir $(@D))bin/pip install --quiet uv==$(UV_VERSION)

lock: $(UV) ## Resolve requirements.txt again into requirements-lock.txt (hashes) and constraints.txt
	$(PYTHON) -m booktools.lock $(UV)

clean: ## Remove build output (_build/), keep the environment
	rm -rf _build

distclean: clean ## Also remove the Python environment (.venv/)
	rm -rf $(VENV)
