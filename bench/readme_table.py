"""Write the README's performance table from the benches' last run (bench/results.json).

Replaces only what lies between the two markers of the README's "Performance" section, so
the table always shows the figures, floors and targets of the last `make bench`, with the
date and machine each bench ran on. Run: `make bench` (last) or
`.venv/bin/python bench/readme_table.py`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
README = REPOSITORY / "README.md"
RESULTS = REPOSITORY / "bench" / "results.json"
START = "<!-- performance table: written by bench/readme_table.py from the last make bench -->"
END = "<!-- end of performance table -->"


def _number(value: float) -> str:
    return f"{value:,.3g}"


def table(results: dict[str, Any]) -> str:
    lines = []
    for bench, run in sorted(results.items()):
        lines += [
            f"`bench/{bench}.py`, {run['date']}, on {run['machine']}:",
            "",
            "| Figure | Value | Floor or peer (same run) | Target |",
            "|---|---|---|---|",
        ]
        for found in run["figures"]:
            unit = found["unit"]
            floor = found.get("floor")
            shown_floor = f"{floor[0]}: {_number(floor[1])} {unit}" if floor else ""
            target = ""
            if found.get("target") is not None:
                sign = "≥" if found.get("higher_is_better") else "≤"
                verdict = "within" if found.get("within") else "**over**"
                target = f"{sign} {_number(found['target'])} {unit} ({verdict})"
            name = found["name"].strip().replace("|", "\\|")
            lines.append(
                f"| {name} | {_number(found['value'])} {unit} | {shown_floor} | {target} |"
            )
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    try:
        results = json.loads(RESULTS.read_text("utf-8"))
    except OSError:
        sys.exit(f"{RESULTS} not found: run make bench first")
    text = README.read_text("utf-8")
    if START not in text or END not in text:
        sys.exit(f"README.md has no performance table markers ({START!r})")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    README.write_text(f"{before}{START}\n{table(results)}{END}{after}", "utf-8")
    print(f"README.md: performance table written from {RESULTS.name}")


if __name__ == "__main__":
    main()
