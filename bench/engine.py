"""Benchmark of the screening core: pack load time, evaluate latency and throughput.

Prints figures; never fails. Targets on a 2-core machine: load < 100 ms, evaluate < 200 µs median.
Run: `make bench` or `.venv/bin/python bench/engine.py [N]`.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screening import AnswersFile, evaluate, load_pack
from screening.logic import asked_states
from screening.models import Answer

CHOICES: tuple[Answer | None, ...] = ("yes", "no", "unknown", None)
"""One of these for each item; None leaves it blank."""


def random_answers(pack_items: list[str], rng: random.Random) -> dict[str, Answer]:
    drawn = {i: rng.choice(CHOICES) for i in pack_items}
    return {i: a for i, a in drawn.items() if a is not None}


def main(sets: int = 100_000) -> None:
    loads = []
    for _ in range(20):
        start = time.perf_counter()
        pack = load_pack()
        loads.append(time.perf_counter() - start)
    print(
        f"load and validate default pack: median {statistics.median(loads) * 1e3:.1f} ms "
        f"(min {min(loads) * 1e3:.1f} ms, {len(pack.items)} items, {len(pack.rules)} rules)"
    )

    rng = random.Random(20261125)
    ids = [i.id for i in pack.items]
    inputs = []
    for _ in range(sets):
        raw = random_answers(ids, rng)
        asked = asked_states(pack, raw)
        inputs.append(AnswersFile(answers={k: v for k, v in raw.items() if k in asked}))

    timings = []
    start_all = time.perf_counter()
    for answers in inputs:
        start = time.perf_counter()
        evaluate(pack, answers)
        timings.append(time.perf_counter() - start)
    total = time.perf_counter() - start_all
    print(
        f"evaluate: median {statistics.median(timings) * 1e6:.0f} µs, "
        f"p95 {sorted(timings)[int(0.95 * len(timings))] * 1e6:.0f} µs"
    )
    print(f"throughput: {sets:,} random answers sets in {total:.2f} s = {sets / total:,.0f} sets/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
