"""The shape of each file of a rule pack, as pydantic models: what `pack.yaml`,
`sources.yaml`, `items.yaml` and each `rules-*.yaml` hold. Validated with line numbers by
`screening.pack.yaml_files`; written out as JSON Schemas by `screening.pack.schema`.
"""

from __future__ import annotations

from typing import get_args

from pydantic import BaseModel, ConfigDict

from screening.models import (
    Item,
    PackMeta,
    PackSchema,
    RuleWithoutSummary,
    Source,
    SummarisedRule,
)


class YamlFile(BaseModel):
    """A YAML file of a pack: a mapping of one top-level key and nothing else (another key is
    refused as an unknown field); each kind of file is one subclass naming that key."""

    model_config = ConfigDict(extra="forbid")

    @classmethod
    def top_key(cls) -> str:
        """The file's one top-level key (`rules:` ...), named in the messages that miss it."""
        (key,) = cls.model_fields
        return key

    @classmethod
    def entry_model(cls) -> type[BaseModel]:
        """The model of one entry of a list file (a rule of `rules:`), read one by one when
        the file is refused whole, so that its sound entries are still checked."""
        (entry,) = get_args(cls.model_fields[cls.top_key()].annotation)
        model: type[BaseModel] = entry
        return model


class PackFile(YamlFile):
    """pack.yaml: the pack's name, version, review status, date and reviewers."""

    pack: PackMeta


class SourcesFile(YamlFile):
    """sources.yaml: the references that items and rules cite, by id."""

    sources: list[Source]


class ItemsFile(YamlFile):
    """items.yaml: the yes / no / unknown questions of the form, in form order."""

    items: list[Item]


class RulesFile(YamlFile):
    """rules-*.yaml: rules, each putting one entry on the checklist when its condition holds."""

    rules: list[SummarisedRule]


class RulesFile10(YamlFile):
    """rules-*.yaml of a pack of schema 1.0: rules without a summary."""

    rules: list[RuleWithoutSummary]


RULES_FILES: dict[PackSchema, type[RulesFile] | type[RulesFile10]] = {
    "1.0": RulesFile10,
    "1.1": RulesFile,
}
"""The model a rules file is validated with, by the schema the pack is read by."""
