"""Every kind of pack file is one mapping of one top-level key: a missing key and a stray key are
refused the same way in each, naming the file, the line and what is wrong."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from screening import PackError, load_pack
from screening.pack.files import YamlFile
from screening.pack.schema import SCHEMA_MODELS
from tests.conftest import MINI_PACK, write_pack

STRAY = {
    "pack.yaml": ("pack", 7),
    "sources.yaml": ("sources", 6),
    "items.yaml": ("items", 21),
    "rules-main.yaml": ("rules", 29),
    "vocabulary.yaml": ("vocabulary", 2),
}
"""File -> its top-level key, and the line a stray `notes:` key lands on after it."""

FILES = {**MINI_PACK, "vocabulary.yaml": "vocabulary: []\n"}


def refused(folder: Path) -> list[str]:
    with contextlib.chdir(folder), pytest.raises(PackError) as caught:
        load_pack(folder)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("name", STRAY)
def test_a_stray_top_level_key_is_an_unknown_field_on_its_line(tmp_path: Path, name: str) -> None:
    folder = write_pack(tmp_path / "p", {name: FILES[name] + "notes: x\n"})
    assert refused(folder) == [f"{name}:{STRAY[name][1]}: notes: unknown field"]


@pytest.mark.parametrize("name", STRAY)
def test_a_file_without_its_top_level_key_names_the_key(tmp_path: Path, name: str) -> None:
    folder = write_pack(tmp_path / "p", {name: "notes: x\n"})
    key = STRAY[name][0]
    assert refused(folder) == [f"{name}:1: expected a mapping with the top-level key '{key}:'"]


def test_every_kind_of_file_is_read_by_the_one_file_model() -> None:
    """Each schema's model is a `YamlFile`: one top-level key, nothing else allowed."""
    assert {kind: model.top_key() for kind, model in SCHEMA_MODELS.items()} == {
        kind: kind for kind in SCHEMA_MODELS
    }
    assert all(issubclass(model, YamlFile) for model in SCHEMA_MODELS.values())
