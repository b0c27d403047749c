"""The shape of each file of a rule pack, as pydantic models: what `pack.yaml`,
`sources.yaml`, `items.yaml` and each `rules-*.yaml` hold. Validated with line numbers by
`screening.pack.yaml_files`; written out as JSON Schemas by `screening.pack.schema`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from screening.models import (
    Item,
    PackMeta,
    PackSchema,
    RuleWithoutSummary,
    Source,
    SummarisedRule,
)


class PackFile(BaseModel):
    """pack.yaml: the pack's name, version, review status, date and reviewers."""

    model_config = ConfigDict(extra="forbid")
    pack: PackMeta


class SourcesFile(BaseModel):
    """sources.yaml: the references that items and rules cite, by id."""

    model_config = ConfigDict(extra="forbid")
    sources: list[Source]


class ItemsFile(BaseModel):
    """items.yaml: the yes / no / unknown questions of the form, in form order."""

    model_config = ConfigDict(extra="forbid")
    items: list[Item]


class RulesFile(BaseModel):
    """rules-*.yaml: rules, each putting one entry on the checklist when its condition holds."""

    model_config = ConfigDict(extra="forbid")
    rules: list[SummarisedRule]


class RulesFile10(BaseModel):
    """rules-*.yaml of a pack of schema 1.0: rules without a summary."""

    model_config = ConfigDict(extra="forbid")
    rules: list[RuleWithoutSummary]


RULES_FILES: dict[PackSchema, type[RulesFile] | type[RulesFile10]] = {
    "1.0": RulesFile10,
    "1.1": RulesFile,
}
"""The model a rules file is validated with, by the schema the pack is read by."""
