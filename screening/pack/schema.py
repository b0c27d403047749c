"""JSON Schemas of the rule files, generated from the models the loader validates with.

Editors that speak the YAML language server read the first line of each rule file,
`# yaml-language-server: $schema=schema/<kind>.schema.json`, and flag mistakes while the
committee types. The schemas are generated, never written by hand, so they cannot drift
from what the loader accepts; a test compares the committed files with a fresh generation.
"""

from __future__ import annotations

import json

from screening.pack.files import ItemsFile, PackFile, RulesFile, SourcesFile, YamlFile
from screening.pack.record_map import RecordFile
from screening.pack.scenarios import ScenariosFile
from screening.pack.vocabulary import VocabularyFile

SCHEMA_FOLDER = "schema"

SCHEMA_MODELS: dict[str, type[YamlFile]] = {
    "pack": PackFile,
    "sources": SourcesFile,
    "items": ItemsFile,
    "rules": RulesFile,
    "scenarios": ScenariosFile,
    "record": RecordFile,
    "vocabulary": VocabularyFile,
}
"""One schema per kind of file; the scenario files have theirs too."""

_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_file_name(kind: str) -> str:
    return f"{kind}.schema.json"


def schema_comment(kind: str, depth: int = 0) -> str:
    """The first line a YAML file needs for its editor to validate it against its schema.

    `depth` is how many folders below the pack folder the file sits (scenarios: 1).
    """
    return (
        f"# yaml-language-server: $schema={'../' * depth}{SCHEMA_FOLDER}/{schema_file_name(kind)}"
    )


def schema_documents() -> dict[str, str]:
    """File name -> JSON text, deterministic, for every kind of rule file."""
    documents = {}
    for kind, model in SCHEMA_MODELS.items():
        schema = {"$schema": _DIALECT, **model.model_json_schema(by_alias=True)}
        documents[schema_file_name(kind)] = (
            json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        )
    return documents
