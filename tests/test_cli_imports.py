"""A command imports only what it uses, so the everyday commands start quickly.

Structural, not timed (bench/cli.py times them): each command runs in a fresh interpreter,
and afterwards the libraries that only other commands need must not have been imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from screening import cli
from screening.pack import scenarios, schema
from screening.pdf import signing
from tests.conftest import REPOSITORY, write_answers

HEAVY = (
    "pandas",
    "pyarrow",
    "numpy",
    "dask",
    "distributed",
    "starlette",
    "uvicorn",
    "fhir.resources",
    "fhirpathpy",
    "fpdf",
    "pypdf",
    "pikepdf",
    "pyhanko",
    "markdown_it",
)
"""Libraries of the batch, CDS, FHIR model, PDF and review commands."""

RUN = """
import json, runpy, sys
heavy = json.loads(sys.argv[2])
sys.argv = ["screening", *json.loads(sys.argv[1])]
try:
    runpy.run_module("screening", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code
else:
    code = 0
sys.stderr.write("\\nLOADED " + json.dumps([m for m in heavy if m in sys.modules]) + "\\n")
sys.exit(code)
"""


def loaded_after(*args: str, cwd: Path = REPOSITORY) -> list[str]:
    """The heavy libraries in `sys.modules` after `python -m screening ARGS` in a fresh
    interpreter; the command must succeed."""
    result = subprocess.run(
        [sys.executable, "-c", RUN, json.dumps(list(args)), json.dumps(HEAVY)],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(REPOSITORY), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    marker = result.stderr.rsplit("LOADED ", 1)[1]
    return list(json.loads(marker))


@pytest.mark.parametrize(
    "args", [("check",), ("items",), ("items", "--format", "json")], ids=" ".join
)
def test_check_and_items_import_no_batch_pdf_fhir_or_cds_library(args: tuple[str, ...]) -> None:
    assert loaded_after(*args) == []


@pytest.mark.parametrize("fmt", ["json", "markdown"])
def test_evaluate_to_text_imports_no_batch_pdf_fhir_or_cds_library(
    tmp_path: Path, fmt: str
) -> None:
    answers = write_answers(tmp_path / "a.json", {})
    assert loaded_after("evaluate", str(answers), "--format", fmt) == []


def test_the_batch_command_does_load_its_libraries_when_it_runs() -> None:
    """The check above can see a library: `batch --help` loads pandas and pyarrow."""
    loaded = loaded_after("batch", "--help")
    assert "pyarrow" in loaded
    assert "fpdf" not in loaded


def test_every_command_is_still_listed_and_runs_from_its_own_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "screening", "--help"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(REPOSITORY), "PATH": "/usr/bin:/bin"},
    )
    listed = {line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line}
    assert set(cli.LAZY_COMMANDS) <= listed
    assert {
        "check",
        "items",
        "evaluate",
        "verify",
        "rules",
        "diff",
        "scenarios",
        "schema",
    } <= listed


def test_the_names_the_help_shows_are_those_of_the_modules_that_use_them() -> None:
    assert cli.SCENARIOS_FOLDER == scenarios.SCENARIOS_FOLDER
    assert cli.SCHEMA_FOLDER == schema.SCHEMA_FOLDER
    assert cli.PASSWORD_ENV == signing.PASSWORD_ENV
