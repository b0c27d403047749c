"""JSON Schemas for editors: generated from the models, committed, and named by each YAML file."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from screening.pack.loader import DEFAULT_RULES_DIR
from screening.pack.scenarios import SCENARIOS_FOLDER
from screening.pack.schema import SCHEMA_FOLDER, schema_comment, schema_documents
from tests.conftest import MINI_PACK, screening

SCHEMA_DIR = DEFAULT_RULES_DIR / SCHEMA_FOLDER
PACK_FILES = sorted(DEFAULT_RULES_DIR.glob("*.yaml"))
SCENARIO_FILES = sorted((DEFAULT_RULES_DIR / SCENARIOS_FOLDER).glob("*.yaml"))


def kind_of(path: Path) -> str:
    if path.parent.name == SCENARIOS_FOLDER:
        return "scenarios"
    return "rules" if path.name.startswith("rules-") else path.stem


def validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / f"{kind}.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def load(text: str) -> object:
    return YAML(typ="safe").load(text)


class TestCommittedSchemas:
    """rules/schema/ holds exactly what the models generate today."""

    def test_the_committed_schemas_match_the_models(self) -> None:
        for name, text in schema_documents().items():
            committed = (SCHEMA_DIR / name).read_text(encoding="utf-8")
            assert committed == text, f"{name} is stale: run `python -m screening schema`"

    def test_there_is_no_stray_schema_file(self) -> None:
        assert sorted(p.name for p in SCHEMA_DIR.iterdir()) == sorted(schema_documents())

    def test_the_schema_command_writes_the_same_files(self, tmp_path: Path) -> None:
        result = screening("schema", "--out", tmp_path / "out")
        assert result.returncode == 0, result.stderr
        assert len(result.stdout.splitlines()) == len(schema_documents())
        for name, text in schema_documents().items():
            assert (tmp_path / "out" / name).read_text(encoding="utf-8") == text


@pytest.mark.parametrize("path", PACK_FILES + SCENARIO_FILES, ids=lambda p: p.name)
class TestShippedFiles:
    """Each shipped YAML file names its schema on its first line, and its schema accepts it."""

    def test_the_first_line_names_the_schema(self, path: Path) -> None:
        depth = 1 if path.parent.name == SCENARIOS_FOLDER else 0
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == schema_comment(kind_of(path), depth)

    def test_the_named_schema_file_exists(self, path: Path) -> None:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert (path.parent / first.split("$schema=")[1]).is_file()

    def test_the_schema_accepts_the_file(self, path: Path) -> None:
        validator(kind_of(path)).validate(load(path.read_text(encoding="utf-8")))


class TestSchemaAgreesWithTheLoader:
    """Mistakes the loader refuses, an editor using the schema flags too."""

    def test_an_unknown_kind_is_flagged(self) -> None:
        rules = load(MINI_PACK["rules-main.yaml"].replace("kind: arrange", "kind: decide"))
        assert not validator("rules").is_valid(rules)

    def test_a_misspelt_field_is_flagged(self) -> None:
        rules = load(MINI_PACK["rules-main.yaml"].replace("rationale:", "rational:", 1))
        assert not validator("rules").is_valid(rules)

    def test_an_answer_outside_yes_no_unknown_is_flagged(self) -> None:
        items = load(MINI_PACK["items.yaml"].replace('is: "yes"', 'is: "maybe"'))
        assert not validator("items").is_valid(items)

    def test_a_condition_without_a_known_form_is_flagged(self) -> None:
        rules = load(MINI_PACK["rules-main.yaml"].replace("all:", "every:"))
        assert not validator("rules").is_valid(rules)

    def test_an_unknown_status_is_flagged(self) -> None:
        pack = load(MINI_PACK["pack.yaml"].replace("status: draft", "status: final"))
        assert not validator("pack").is_valid(pack)

    def test_the_mini_pack_is_accepted(self) -> None:
        for name, text in MINI_PACK.items():
            kind = "rules" if name.startswith("rules-") else name.removesuffix(".yaml")
            validator(kind).validate(load(text))
