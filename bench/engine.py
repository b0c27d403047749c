"""Benchmark of the screening core: pack load time, evaluate latency and throughput.

Prints figures beside their floors and targets (issue 23, on a 2-core machine): load and
validate the shipped pack <= 100 ms (floor: reading and parsing its files with libyaml;
the wording guard's share is printed too), evaluate <= 250 µs median (floor: the one
visibility pass every evaluation makes), and evaluate with nothing remembered from earlier
answers (`engine.MAX_PATTERNS_PER_RULE` = 0), the cost of a pattern of answers met first.
Never fails.
Run: `make bench` or `.venv/bin/python bench/engine.py [N]`.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import figure, save
from screening import AnswersFile, engine, evaluate
from screening.logic import asked_states
from screening.models import Answer
from screening.pack import checks, loader
from screening.pack import guard as pack_guard
from screening.pack.yaml_files import parse_plain

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


def load_figures() -> None:
    """The first load in a process (later ones reuse it: the files' digest is remembered)."""
    folder = loader.DEFAULT_RULES_DIR
    files = loader.read_files(list(folder.glob("*.yaml")))

    def fresh_load() -> None:
        loader._VALIDATED.clear()
        loader.load_pack(folder)

    load = median_ms(fresh_load)
    parse = median_ms(lambda: [parse_plain(data) for data in files.values()])
    wording = checks.CrossChecker._wording
    guard = pack_guard.guard_wording
    checks.CrossChecker._wording = lambda self: iter(())  # type: ignore[method-assign]
    setattr(loader, "guard_wording", lambda *args, **kwargs: iter(()))  # noqa: B010
    try:
        unguarded = median_ms(fresh_load)
    finally:
        checks.CrossChecker._wording = wording  # type: ignore[method-assign]
        setattr(loader, "guard_wording", guard)  # noqa: B010
    reuse = median_ms(lambda: loader.load_pack(folder))
    figure(
        "engine",
        "load and validate the shipped pack",
        load,
        "ms",
        target=100,
        floor=("reading its files with libyaml", parse),
    )
    figure("engine", "  of which the wording guard", load - unguarded, "ms")
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
