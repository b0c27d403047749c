# Two commands for a newcomer: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501

.PHONY: setup run test lint typecheck rulecheck unit bench mutate clean

# requirements.txt says what the project needs; constraints.txt pins the versions it was
# tested with, so a fresh machine gets the same linters and libraries as the last green run.
$(STAMP): requirements.txt constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or later is needed; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m screening check
	$(BIN)/streamlit run app.py --server.port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy screening
	$(BIN)/mypy app.py app_pages

rulecheck: $(STAMP)
	$(BIN)/python -m screening check --coverage
	$(BIN)/python -m screening scenarios > /dev/null

# Every core runs tests (pytest-xdist); the browser tests stay whole on one worker, and a
# module's server is started once (tests/conftest.py sets the groups). `make unit -e
# PYTEST_WORKERS=0` runs them in one process.
PYTEST_WORKERS ?= auto
unit: $(STAMP)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup

test: lint typecheck rulecheck unit

bench: $(STAMP)
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/pdf.py
	$(BIN)/python bench/app.py
	$(BIN)/python bench/batch.py
	$(BIN)/python bench/cds.py

# Mutation testing of what the checklist means (logic, engine, describe; see [tool.mutmut] in
# pyproject.toml): slow, so not part of `make test` or CI. Every surviving mutant that changes
# meaning gets a test; the survivors left are equivalent to the original, listed here:
#   (filled in from the last run)
mutate: $(STAMP)
	rm -rf mutants
	$(BIN)/mutmut run
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis mutants
