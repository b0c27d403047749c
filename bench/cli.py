"""Benchmark of the command line: wall time and peak memory of a command, beside a bare Python.

Runs `python -c pass` (the floor: the interpreter alone) and `python -m screening check`,
`items --format json` and `evaluate ANSWERS --format json` on the shipped pack, in rounds
(each round runs every one once, so they share the machine's load), and prints each one's
median wall time and peak resident memory. Target (issue 23): each command <= 0.4 s wall.
Prints figures; never fails. Run: `make bench` or `.venv/bin/python bench/cli.py [ROUNDS]`.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import figure, save

REPOSITORY = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 0.4


def run(args: list[str]) -> tuple[float, float]:
    """One run's wall time (s) and peak resident memory (MiB), measured by the kernel."""
    start = time.perf_counter()
    process = subprocess.Popen(
        args, cwd=REPOSITORY, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(
            f"{' '.join(args)} failed: {process.stderr.read().decode() if process.stderr else ''}"
        )
    return wall, usage.ru_maxrss / 1024


def main(rounds: int = 7) -> None:
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        answers = Path(tmp) / "answers.json"
        answers.write_text(json.dumps({"answers": {}}), encoding="utf-8")
        commands = {
            "python -c pass": [python, "-c", "pass"],
            "check": [python, "-m", "screening", "check"],
            "items --format json": [python, "-m", "screening", "items", "--format", "json"],
            "evaluate --format json": [
                python, "-m", "screening", "evaluate", str(answers), "--format", "json"
            ],
        }  # fmt: skip
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(rounds):
            for name, args in commands.items():
                runs[name].append(run(args))
    floor_wall = statistics.median(w for w, _ in runs["python -c pass"])
    floor_memory = max(m for _, m in runs["python -c pass"])
    print(f"{rounds} rounds; medians of wall time, peaks of resident memory")
    for name in commands:
        if name == "python -c pass":
            continue
        wall = statistics.median(w for w, _ in runs[name])
        memory = max(m for _, m in runs[name])
        figure(
            "cli",
            f"screening {name}: wall",
            wall,
            "s",
            target=TARGET_SECONDS,
            floor=("python -c pass", floor_wall),
        )
        figure(
            "cli",
            f"screening {name}: peak memory",
            memory,
            "MiB",
            floor=("python -c pass", floor_memory),
        )
    save("cli")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 7)
