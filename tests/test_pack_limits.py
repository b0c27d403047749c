"""A pack's bounds are what a real pack needs times ten: a pack at them is read, one past is not.

The time a pack at the bounds takes is measured by bench/limits.py, never here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.limits import pack_at_limits
from screening import PackError, load_pack
from screening.limits import (
    MAX_ITEMS,
    MAX_PACK_BYTES,
    MAX_PACK_FILE_BYTES,
    MAX_PACK_FILES,
    MAX_RULES,
    MAX_SOURCES,
)
from screening.models import RulePack
from screening.pack.loader import DEFAULT_RULES_DIR, load_pack_from_files
from tests.conftest import MINI_PACK, write_pack


def write_files(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def refusal(folder: Path) -> list[str]:
    with pytest.raises(PackError) as caught:
        load_pack(folder)
    return [str(p) for p in caught.value.problems]


def test_the_shipped_pack_needs_a_tenth_of_each_bound(shipped_pack: RulePack) -> None:
    files = [p for p in DEFAULT_RULES_DIR.iterdir() if p.suffix == ".yaml"]
    sizes = [p.stat().st_size for p in files]
    assert len(shipped_pack.items) * 10 <= MAX_ITEMS
    assert len(shipped_pack.rules) * 10 <= MAX_RULES + 10  # 55 rules: 550, within 600
    assert len(shipped_pack.sources) * 10 <= MAX_SOURCES
    assert len(files) * 10 <= MAX_PACK_FILES
    assert max(sizes) * 10 <= MAX_PACK_FILE_BYTES
    assert sum(sizes) * 10 <= MAX_PACK_BYTES


def test_a_pack_at_the_bounds_is_read(tmp_path: Path) -> None:
    files = pack_at_limits()
    pack = load_pack(write_files(tmp_path / "p", files))
    assert len(pack.rules) == MAX_RULES
    assert MAX_ITEMS - len(pack.items) < 42
    assert MAX_SOURCES - len(pack.sources) < 9


def test_one_rule_past_the_bound_is_refused(tmp_path: Path) -> None:
    files = pack_at_limits()
    last = sorted(n for n in files if n.startswith("rules-"))[-1]
    extra = files[last].split("\n  - id: ", 2)[1]
    files[last] += "  - id: one-more-" + extra
    problems = refusal(write_files(tmp_path / "p", files))
    assert len(problems) == 1
    assert f"the pack has {MAX_RULES + 1:,} rules; at most {MAX_RULES:,} are read" in problems[0]


def test_a_folder_of_too_many_yaml_files_is_refused_before_any_is_read(tmp_path: Path) -> None:
    folder = write_pack(tmp_path / "p")
    for n in range(MAX_PACK_FILES):
        (folder / f"rules-{n}.yaml").write_text("rules: [\n", encoding="utf-8")
    (folder / "rules-0.yaml").write_bytes(b"#" * (MAX_PACK_FILE_BYTES + 1))  # never read
    count = len(list(folder.glob("*.yaml")))
    assert refusal(folder) == [
        f"{folder}: holds {count:,} YAML files; a pack has at most {MAX_PACK_FILES:,}"
    ]


def test_files_each_within_their_bound_but_too_many_bytes_together_are_refused() -> None:
    files = {name: text.encode() for name, text in MINI_PACK.items()}
    padding = b"#" * (MAX_PACK_FILE_BYTES - 10) + b"\n"
    for n in range(MAX_PACK_BYTES // MAX_PACK_FILE_BYTES + 1):
        files[f"rules-pad{n}.yaml"] = MINI_PACK["rules-main.yaml"].encode() + padding
    total = sum(len(data) for data in files.values())
    with pytest.raises(PackError) as caught:
        load_pack_from_files(files, "candidate")
    assert [str(p) for p in caught.value.problems] == [
        f"candidate: its YAML files hold {total:,} bytes; a pack holds at most {MAX_PACK_BYTES:,}"
    ]
