"""Benchmark of the screening core: pack load time, evaluate latency and throughput.

Prints figures beside their floors and targets (issue 23, on a 2-core machine): load and
validate the shipped pack <= 100 ms, the first load in a fresh process, the core imported
(floor: reading and parsing its files with libyaml; the wording guard's share is printed
too), evaluate <= 250 µs median (floor: the one visibility pass every evaluation makes),
and evaluate with nothing remembered from earlier answers (`engine.MAX_PATTERNS_PER_RULE`
= 0), the cost of a pattern of answers met first.
Never fails.
Run: `make bench` or `.venv/bin/python bench/engine.py [N]`.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import figure, save
from screening import AnswersFile, engine, evaluate
from screening.logic import asked_states
from screening.models import Answer
from screening.pack import loader
from screening.pack.yaml_files import parse_plain

ROOT = Path(__file__).resolve().parent.parent

CHOICES: tuple[Answer | None, ...] = ("yes", "no", "unknown", None)
"""One of these for each item; None leaves it blank."""


def random_answers(pack_items: list[str], rng: random.Random) -> dict[str, Answer]:
    drawn = {i: rng.choice(CHOICES) for i in pack_items}
    return {i: a for i, a in drawn.items() if a is not None}


def median_ms(action: object, runs: int = 15) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


FIRST_LOAD = """
import sys, time
from screening.pack import checks, loader
if sys.argv[1] == "unguarded":
    checks.CrossChecker._wording = lambda self: iter(())
    loader.guard_wording = lambda *args, **kwargs: iter(())
start = time.perf_counter()
loader.load_pack()
print(time.perf_counter() - start)
"""
"""A process's first load of the shipped pack, its core already imported: what a command
waits for. Later loads in the same process reuse the guard's compiled patterns and readings."""


def first_load_ms(how: str) -> float:
    """Milliseconds of the first `load_pack()` in a fresh interpreter (`how`: "guarded", or
    "unguarded" with the wording guard switched off)."""
    run = subprocess.run(
        [sys.executable, "-c", FIRST_LOAD, how],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if k != "SCREENING_RULES_DIR"},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(run.stdout) * 1e3


def load_figures(processes: int = 11) -> None:
    """The first load in a fresh process, with and without the wording guard (alternated, so
    the machine's load weighs on both alike); and later loads in one process."""
    folder = loader.DEFAULT_RULES_DIR
    files = loader.read_files(list(folder.glob("*.yaml")))
    firsts: list[float] = []
    unguarded: list[float] = []
    for _ in range(processes):
        firsts.append(first_load_ms("guarded"))
        unguarded.append(first_load_ms("unguarded"))
    load = statistics.median(firsts)
    parse = median_ms(lambda: [parse_plain(data) for data in files.values()])

    def warm_load() -> None:
        loader._VALIDATED.clear()
        loader.load_pack(folder)

    warm = median_ms(warm_load)
    reuse = median_ms(lambda: loader.load_pack(folder))
    figure(
        "engine",
        f"load and validate the shipped pack, first in a process (median of {processes})",
        load,
        "ms",
        target=100,
        floor=("reading its files with libyaml", parse),
    )
    figure("engine", "  of which the wording guard", load - statistics.median(unguarded), "ms")
    figure("engine", "  again in the process, its digest forgotten", warm, "ms")
    figure("engine", "  the same pack again in the process", reuse, "ms")


def main(sets: int = 100_000) -> None:
    load_figures()
    pack = loader.load_pack()
    print(f"{len(pack.items)} items, {len(pack.rules)} rules")
    rng = random.Random(20261125)
    ids = [i.id for i in pack.items]
    inputs = []
    for _ in range(sets):
        raw = random_answers(ids, rng)
        asked = asked_states(pack, raw)
        inputs.append(AnswersFile(answers={k: v for k, v in raw.items() if k in asked}))

    timings = []
    floor = []
    start_all = time.perf_counter()
    for answers in inputs:
        start = time.perf_counter()
        evaluate(pack, answers)
        middle = time.perf_counter()
        asked_states(pack, answers.answers)
        floor.append(time.perf_counter() - middle)
        timings.append(middle - start)
    total = time.perf_counter() - start_all - sum(floor)
    figure(
        "engine",
        "evaluate, median",
        statistics.median(timings) * 1e6,
        "µs",
        target=250,
        floor=("one visibility pass", statistics.median(floor) * 1e6),
    )
    figure("engine", "evaluate, p95", sorted(timings)[int(0.95 * len(timings))] * 1e6, "µs")
    remembered = engine.MAX_PATTERNS_PER_RULE
    engine.MAX_PATTERNS_PER_RULE = 0  # every entry decided afresh, as for answers never met
    pack.__dict__.pop(engine._PARTS, None)
    try:
        afresh = [
            median_ms(lambda a=answers: evaluate(pack, a), runs=1) for answers in inputs[:2000]
        ]
    finally:
        engine.MAX_PATTERNS_PER_RULE = remembered
        pack.__dict__.pop(engine._PARTS, None)
    figure(
        "engine", "  evaluate, median, nothing remembered", statistics.median(afresh) * 1e3, "µs"
    )
    figure("engine", f"throughput, {sets:,} random answer sets", sets / total, "sets/s")
    save("engine")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
