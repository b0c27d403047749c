"""Each README command that reads the example answers file runs as written, from a copy of it."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = "examples/answers.json"


def readme_commands() -> list[str]:
    """The README's `python -m screening` lines that name the example, with no secret asked for
    (a signing password or a certificate the reader must make first)."""
    found = []
    for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines():
        command = line.split("  #")[0].strip()
        runnable = command.startswith(".venv/bin/python -m screening ")
        if runnable and EXAMPLE in command and not command.endswith("\\"):
            found.append(command)
    return found


def test_the_readme_names_the_example_in_its_commands() -> None:
    assert len(readme_commands()) >= 4


@pytest.mark.parametrize("command", readme_commands())
def test_a_readme_command_on_the_example_runs_as_written(command: str, tmp_path: Path) -> None:
    (tmp_path / "examples").mkdir()
    shutil.copyfile(ROOT / EXAMPLE, tmp_path / EXAMPLE)
    words = shlex.split(re.sub(r"\s*>\s*(\S+)$", "", command))
    out = subprocess.run(
        [sys.executable, *words[1:]],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    if "--out" in words:
        assert (tmp_path / words[words.index("--out") + 1]).stat().st_size > 0
    else:
        assert out.stdout.startswith("{")
