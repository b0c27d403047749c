"""Benchmark of reading a pack at the stated limits (issue 20 item 4).

Builds a pack at the limits of `screening/limits.py` from the shipped one (copies of its
items, sources and rules, ids suffixed, until the item, rule and source counts reach their
bounds; one rule file per copy and file, within the file, folder and zip byte bounds), then
times `python -m screening check` on it, as sound and with one problem on its last line
(which makes the loader read every file again with positions), and the candidate review of
the same pack zipped with the shipped vignettes. Peer: `check` on the shipped pack.
Targets: `check` < 3 s, candidate review < 5 s. Prints figures; never fails.
Run: `make bench` or `.venv/bin/python bench/limits.py`.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ruamel.yaml import YAML

from bench.report import figure, save
from screening.limits import (
    MAX_ITEMS,
    MAX_PACK_BYTES,
    MAX_PACK_FILE_BYTES,
    MAX_PACK_FILES,
    MAX_RULES,
    MAX_SOURCES,
    MAX_ZIP_MEMBERS,
    MAX_ZIP_TOTAL_BYTES,
)
from screening.pack.loader import DEFAULT_RULES_DIR, load_pack

REPOSITORY = Path(__file__).resolve().parent.parent


def _read(name: str) -> Any:
    return YAML(typ="safe", pure=True).load((DEFAULT_RULES_DIR / name).read_text("utf-8"))


def _renamed(condition: Any, suffix: str) -> Any:
    if isinstance(condition, dict):
        return {
            key: (value + suffix if key == "item" else _renamed(value, suffix))
            for key, value in condition.items()
        }
    if isinstance(condition, list):
        return [_renamed(part, suffix) for part in condition]
    return condition


def pack_at_limits() -> dict[str, str]:
    """The files of a sound pack whose item, rule and source counts are at their bounds."""
    items, sources = _read("items.yaml")["items"], _read("sources.yaml")["sources"]
    rule_files = {p.name: _read(p.name)["rules"] for p in sorted(DEFAULT_RULES_DIR.glob("rules-*"))}
    copies = min(MAX_ITEMS // len(items), MAX_SOURCES // len(sources))
    writer = YAML(typ="rt")
    writer.width = 4096
    writer.indent(mapping=2, sequence=4, offset=2)  # as the shipped files are written
    writer.representer.ignore_aliases = lambda _data: True  # copies share lists: write each out

    def dumped(data: Any) -> str:
        out = io.StringIO()
        writer.dump(data, out)
        return out.getvalue()

    all_items: list[Any] = []
    all_sources: list[Any] = []
    files = {"pack.yaml": (DEFAULT_RULES_DIR / "pack.yaml").read_text("utf-8")}
    rules_left = MAX_RULES
    for copy in range(copies):
        suffix = f"_{copy}" if copy else ""
        source_suffix = f"-{copy}" if copy else ""
        all_sources += [{**s, "id": s["id"] + source_suffix} for s in sources]
        for item in items:
            made = {**item, "id": item["id"] + suffix}
            made["sources"] = [s + source_suffix for s in item["sources"]]
            if "asked_if" in item:
                made["asked_if"] = _renamed(item["asked_if"], suffix)
            all_items.append(made)
        for name, rules in rule_files.items():
            made_rules = []
            for rule in rules[: max(rules_left, 0)]:
                made = {**rule, "id": rule["id"] + source_suffix}
                made["when"] = _renamed(rule["when"], suffix)
                made["sources"] = [s + source_suffix for s in rule["sources"]]
                if "source_says" in rule:
                    made["source_says"] = [
                        {**said, "source": said["source"] + source_suffix}
                        for said in rule["source_says"]
                    ]
                made_rules.append(made)
            rules_left -= len(made_rules)
            if made_rules:
                files[name.replace(".yaml", f"{source_suffix}.yaml")] = dumped(
                    {"rules": made_rules}
                )
    files["items.yaml"] = dumped({"items": all_items})
    files["sources.yaml"] = dumped({"sources": all_sources})
    return files


def _sizes(files: dict[str, str]) -> str:
    sizes = [len(text.encode()) for text in files.values()]
    assert max(sizes) <= MAX_PACK_FILE_BYTES, "a file over the bound: the builder needs a fix"
    assert sum(sizes) <= MAX_PACK_BYTES and len(files) <= MAX_PACK_FILES
    return f"{len(files)} files, largest {max(sizes):,} bytes, {sum(sizes):,} bytes in all"


def _check_seconds(folder: Path, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "screening", "check", "--rules", str(folder)],
            cwd=REPOSITORY,
            capture_output=True,
            check=False,
        )
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def _zipped(files: dict[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(f"pack/{name}", text)
        for path in sorted((DEFAULT_RULES_DIR / "scenarios").glob("*.yaml")):
            archive.writestr(f"pack/scenarios/{path.name}", path.read_text("utf-8"))
    return out.getvalue()


def _review_seconds(data: bytes) -> float:
    from screening.errors import PackError  # noqa: PLC0415
    from screening.pack import loader  # noqa: PLC0415
    from screening.pack.candidate import review_candidate  # noqa: PLC0415

    shipped = load_pack()
    loader._VALIDATED.clear()
    start = time.perf_counter()
    with contextlib.suppress(PackError):  # the broken pack is refused: its time counts
        review_candidate(data, "candidate.zip", shipped, DEFAULT_RULES_DIR)
    return time.perf_counter() - start


def main() -> None:
    files = pack_at_limits()
    broken = dict(files)
    last = sorted(n for n in files if n.startswith("rules-"))[-1]
    broken[last] = files[last] + "  - id: broken\n"
    print(f"pack at the limits: {_sizes(files)}")
    with tempfile.TemporaryDirectory() as tmp:
        for name, pack in (("sound", files), ("with a problem", broken)):
            folder = Path(tmp) / name.replace(" ", "-")
            folder.mkdir()
            for file_name, text in pack.items():
                (folder / file_name).write_text(text, encoding="utf-8")
            figure(
                "limits",
                f"check, pack at the limits, {name}",
                _check_seconds(folder),
                "s",
                target=3.0,
                floor=("check, shipped pack", _check_seconds(DEFAULT_RULES_DIR)),
            )
    for name, pack in (("sound", files), ("with a problem", broken)):
        data = _zipped(pack)
        members = len(zipfile.ZipFile(io.BytesIO(data)).namelist())
        unpacked = sum(len(t.encode()) for t in pack.values())
        assert members <= MAX_ZIP_MEMBERS and unpacked <= MAX_ZIP_TOTAL_BYTES
        figure(
            "limits",
            f"candidate review, zip at the limits, {name}",
            _review_seconds(data),
            "s",
            target=5.0,
        )
    save("limits")


if __name__ == "__main__":
    main()
