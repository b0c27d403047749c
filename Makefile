# Two commands for a newcomer: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.installed-dev-stamp
PORT ?= 8501

.PHONY: setup run test lint typecheck rulecheck lforms unit bench mutate clean catalogues messages

# requirements.txt says what the app and the package need to run (make run installs only
# that), requirements-dev.txt adds the tests and tools (make test); constraints.txt pins the
# versions they were tested with, so a fresh machine gets the same linters and libraries as
# the last green run.
$(STAMP): requirements.txt constraints.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or later is needed; set PYTHON=python3.x")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt -c constraints.txt
	touch $(STAMP)

$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -c constraints.txt
	touch $(DEV_STAMP)

setup: $(STAMP)

# The message catalogue (screening/catalogue.py): `make messages` extracts the words of ours
# into the template (with the help pages' texts, read from the command tree), makes the
# pseudo-locale en-XA from it and updates every other language's .po (then translate what is new: CONTRIBUTING.md, "Adding a UI language"); `make catalogues`
# compiles every .po to the .mo that the program reads (without one, it compiles the .po in
# memory).
LOCALE := screening/locale
CATALOGUES := $(patsubst %.po,%.mo,$(wildcard $(LOCALE)/*/LC_MESSAGES/screening.po))

$(LOCALE)/%/LC_MESSAGES/screening.mo: $(LOCALE)/%/LC_MESSAGES/screening.po $(STAMP)
	$(BIN)/pybabel --quiet compile --domain screening --input-file $< --output-file $@

catalogues: $(CATALOGUES)

messages: $(STAMP)
	$(BIN)/pybabel --quiet extract --mapping-file babel.cfg --no-location --sort-output \
		--project ketamine-screening --omit-header --width 100 \
		--output-file $(LOCALE)/screening.pot .
	$(BIN)/python -m screening.cli.help_catalogue
	$(BIN)/python -m screening.pseudo_locale
	for po in $(filter-out $(LOCALE)/en_XA/%,$(wildcard $(LOCALE)/*/LC_MESSAGES/screening.po)); do \
		$(BIN)/pybabel --quiet update --domain screening --input-file $(LOCALE)/screening.pot \
			--output-file $$po --no-location --width 100; \
	done

run: $(STAMP) catalogues
	$(BIN)/python -m screening check
	$(BIN)/streamlit run app.py --server.port $(PORT)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@$(BIN)/python -m cogapp --check README.md || { echo "The README's command table differs from the code: run $(BIN)/cog -r README.md"; exit 1; }

typecheck: $(DEV_STAMP)
	$(BIN)/mypy screening
	$(BIN)/mypy app.py app_pages
	$(BIN)/mypy tests bench

rulecheck: $(STAMP)
	$(BIN)/python -m screening check --coverage
	$(BIN)/python -m screening scenarios > /dev/null

# LHC-Forms for the browser test that loads our Questionnaire into it (tests/test_fhir_browser.py),
# pinned by tests/lforms/package-lock.json and installed by `npm ci` (no install scripts run);
# the test serves its files itself, nothing is fetched at test time. Without npm the test is
# skipped, except under CI=true, where it fails.
LFORMS_STAMP := tests/lforms/node_modules/.package-lock.json
$(LFORMS_STAMP): tests/lforms/package.json tests/lforms/package-lock.json
	cd tests/lforms && npm ci --ignore-scripts --no-audit --no-fund
lforms:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(LFORMS_STAMP); \
	else echo "npm not found: the LHC-Forms browser test is skipped (it fails under CI=true)"; fi

# Every core runs tests (pytest-xdist); the browser tests form two groups, each whole on one
# worker with one server (tests/conftest.py sets the groups). `make unit -e PYTEST_WORKERS=0`
# runs them in one process.
PYTEST_WORKERS ?= auto
unit: $(DEV_STAMP) catalogues lforms
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup

test: lint typecheck rulecheck unit

bench: $(DEV_STAMP)
	$(BIN)/python bench/engine.py
	$(BIN)/python bench/pdf.py
	$(BIN)/python bench/app.py
	$(BIN)/python bench/build.py
	$(BIN)/python bench/batch.py
	$(BIN)/python bench/cds.py
	$(BIN)/python bench/cli.py
	$(BIN)/python bench/limits.py
	$(BIN)/python bench/readme_table.py

# Mutation testing of what the checklist means and how answers files are read (logic, engine,
# describe, answers; see [tool.mutmut] in pyproject.toml): slow, so not part of `make test` or
# CI. Every surviving mutant that changes meaning gets a test. Survivors known to be
# equivalent to the original (last full run 2026-12-01: 747 mutants, these 19 left):
#   describe.item_list_4: "".join -> "XXXX".join on a list of at most one word (no separator)
#   describe.describe_condition_19, _33, _47: render(..., False) -> render(..., None) (both falsy)
#   logic._Resolved.__getitem___4: KeyError(None) for KeyError(item_id) (Mapping.get catches it)
#   logic._Resolved.__iter___1 (no test runs it): Mapping requires __iter__; evaluation only
#     looks items up, never lists them
#   logic.compiled_1, _2, _12: the compiled conditions are not cached, so they are compiled
#     again on each call: slower, same result
#   engine.evaluate_12, _16: answer_problems given no states works them out again (same result)
#   answers._answer_problem_15: ensure_ascii=False -> None (both falsy)
#   answers._answer_problem_58, _59: the "(document)" fallback: every error in a JSON object has
#     a location, since AnswersFile has no whole-model validator
#   answers._line_of_key_21, parse_answers_50: str.count from None is from 0
#   answers._line_of_key_28: found[+1] is found[-1] when exactly two were found
#   answers.parse_answers_47: the search for the long number always finds it (every character
#     of a JSON number is in the searched class), so `if found` is always true
#   answers.read_answers_bytes_10: "UTF-8-SIG" for "utf-8-sig" (codec names ignore case)
mutate: $(DEV_STAMP)
	rm -rf mutants
	$(BIN)/mutmut run
	$(BIN)/mutmut results

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .hypothesis mutants
