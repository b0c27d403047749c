"""One way for every bench to print a figure: the figure, its floor or peer, and its target.

Each `figure(...)` prints one line and keeps the figure in `bench/results.json` (the last
run of each bench, with the date and the machine), from which `bench/readme_table.py`
writes the README's performance table. A bench never fails: a figure outside its target is
printed as such ("over target"), nothing more.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results.json"
_STARTED: dict[str, list[dict[str, Any]]] = {}


def machine() -> str:
    """The machine the figures were measured on, as the README's table names it."""
    cores = os.cpu_count() or 0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cpu = platform.processor() or platform.machine()
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {cores} cores, "
        f"Python {platform.python_version()}, load {load:.1f} at start"
    )


def figure(
    bench: str,
    name: str,
    value: float,
    unit: str,
    *,
    target: float | None = None,
    floor: tuple[str, float] | None = None,
    higher_is_better: bool = False,
) -> None:
    """Print `name: value unit (floor/peer ...; target ...)` and keep it for the README."""
    within = None
    if target is not None:
        within = value >= target if higher_is_better else value <= target
    parts = []
    if floor is not None:
        parts.append(f"{floor[0]} {floor[1]:,.3g} {unit}")
    if target is not None:
        sign = ">=" if higher_is_better else "<="
        parts.append(f"target {sign} {target:,.3g} {unit}: {'within' if within else 'over target'}")
    extra = f"  ({'; '.join(parts)})" if parts else ""
    print(f"{name}: {value:,.3g} {unit}{extra}", flush=True)
    _STARTED.setdefault(bench, []).append(
        {
            "name": name,
            "value": value,
            "unit": unit,
            "target": target,
            "higher_is_better": higher_is_better,
            "floor": list(floor) if floor else None,
            "within": within,
        }
    )


def save(bench: str) -> None:
    """Keep this bench's figures as its last run (other benches' stay as they were)."""
    try:
        results = json.loads(RESULTS.read_text("utf-8"))
    except (OSError, ValueError):
        results = {}
    results[bench] = {
        "date": time.strftime("%Y-%m-%d %H:%M %Z"),
        "machine": machine(),
        "figures": _STARTED.get(bench, []),
    }
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", "utf-8")
