"""The quick way of running the CLI in tests behaves as a fresh `python -m screening` does."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.cli_process import run_screening
from tests.conftest import write_answers, write_pack

CASES = {
    "a-usage-error": ("evaluate", "--format", "xml", "a.json"),
    "a-bad-answers-file": ("evaluate", "bad.json"),
    "a-checklist-in-markdown": ("evaluate", "a.json", "--rules", "mini", "--format", "markdown"),
    "a-file-written-with-out": ("evaluate", "a.json", "--rules", "mini", "--out", "c.json"),
}


@pytest.mark.parametrize("args", CASES.values(), ids=CASES.keys())
def test_a_forked_run_gives_the_exit_code_output_and_files_of_a_fresh_interpreter(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    results = []
    for fresh in (True, False):
        folder = tmp_path / ("fresh" if fresh else "forked")
        write_pack(folder / "mini")
        write_answers(folder / "a.json", {"history": "yes", "monitoring": "unknown"})
        (folder / "bad.json").write_text('{"answers": {"history": "perhaps"}}', encoding="utf-8")
        result = run_screening(*args, cwd=folder, fresh=fresh)
        files = {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
        results.append((result.returncode, result.stdout, result.stderr, files))
    assert results[0] == results[1]
    _, out, err, files = results[0]
    assert out or err or "c.json" in files, "each case prints or writes something to compare"


def test_a_run_that_takes_too_long_is_stopped_and_reported_as_a_timeout(tmp_path: Path) -> None:
    fifo = tmp_path / "a.json"
    os.mkfifo(fifo)
    with pytest.raises(subprocess.TimeoutExpired):
        run_screening("evaluate", fifo, timeout=0.001)
    assert run_screening("--version").returncode == 0, "the parent still serves the next run"
