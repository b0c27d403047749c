"""The checks of what a pack's rules and items cite and quote: every source cited is in the
pack, a point stands on more than background reading, and what a rule quotes a source as
saying comes from one of its own sources, once, about patients in general."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TypeAlias, TypeVar

from ruamel.yaml.comments import CommentedMap

from screening.catalogue import N_, Said
from screening.errors import Problem
from screening.models import Item, Rule, Source
from screening.pack.salvage import Refused

_Model = TypeVar("_Model")
Entries: TypeAlias = list[tuple[str, CommentedMap, _Model]]
"""A file's entries: where each is shown, its data as read (for lines), its model."""


def citation_problems(
    sources: Entries[Source],
    items: Entries[Item],
    rules: Entries[Rule],
    refused: Sequence[Refused],
) -> Iterator[Problem]:
    """Every source an item or rule cites is in the pack (or refused by its model: named,
    then, in its own problem), and a rule stands on more than background reading."""
    source_ids = {s.id for _, _, s in sources}
    source_ids |= {r.id for r in refused if r.kind == "source" and r.id is not None}
    cited = [
        *((shown, raw, model.id, model.sources) for shown, raw, model in items),
        *((shown, raw, model.id, model.sources) for shown, raw, model in rules),
        *((r.shown, r.raw, r.id, r.sources) for r in refused if r.sources),
    ]
    for shown, raw, owner, cites in cited:
        for index, source_id in enumerate(cites):
            if source_id not in source_ids:
                line = raw["sources"].lc.item(index)[0] + 1
                message = Said(N_("cites unknown source '{source}'"), source=source_id)
                yield Problem(shown, message, line, owner)
    background = {s.id for _, _, s in sources if s.background}
    for shown, raw, rule in rules:
        if set(rule.sources) <= background:
            yield Problem(
                shown,
                Said(
                    N_(
                        "cites only background sources ({sources}): a point needs a "
                        "guideline, label or statement behind it"
                    ),
                    sources=", ".join(rule.sources),
                ),
                raw.lc.key("sources")[0] + 1,
                rule.id,
            )


# shape: four checks of each quoted statement, each refusal a whole sentence for the catalogue
def statement_problems(sources: Entries[Source], rules: Entries[Rule]) -> Iterator[Problem]:
    """What a rule quotes a source as saying: from one of the rule's own sources (never
    background reading), once each, and about patients in general, never this one."""
    background = {s.id for _, _, s in sources if s.background}
    for shown, raw, rule in rules:
        for index, said in enumerate(rule.source_says):
            raw_said = raw["source_says"][index]
            line = raw_said.lc.key("source")[0] + 1
            if said.source not in rule.sources:
                yield Problem(
                    shown,
                    Said(
                        N_(
                            "source_says quotes '{source}', which is not one of the rule's "
                            "sources ({sources}): a statement is attributed to a source the "
                            "point cites"
                        ),
                        source=said.source,
                        sources=", ".join(rule.sources),
                    ),
                    line,
                    rule.id,
                )
            elif said.source in background:
                yield Problem(
                    shown,
                    Said(
                        N_(
                            "source_says quotes '{source}', background reading: what a point "
                            "states as a contraindication or a caution must come from a "
                            "guideline, label or statement"
                        ),
                        source=said.source,
                    ),
                    line,
                    rule.id,
                )
            earlier = [
                i
                for i, other in enumerate(rule.source_says[:index])
                if (other.source, other.statement) == (said.source, said.statement)
            ]
            if earlier:
                yield Problem(
                    shown,
                    Said(
                        N_(
                            "source_says repeats statement {number} of this rule (same "
                            "source and words)"
                        ),
                        number=str(earlier[0] + 1),
                    ),
                    line,
                    rule.id,
                )
            patient = _ONE_PATIENT.search(said.statement)
            if patient:
                yield Problem(
                    shown,
                    Said(
                        N_(
                            "source_says.statement speaks of one patient ('{words}'): quote "
                            "what the source says of patients in general, never a statement "
                            "about this patient"
                        ),
                        words=patient.group(0),
                    ),
                    raw_said.lc.key("statement")[0] + 1,
                    rule.id,
                )


_ONE_PATIENT = re.compile(
    r"\b(?:this|your|our|my)\s+patient\b|\bthe\s+patient\s+(?:is|has|was)\b", re.I
)
"""Words that make a quoted statement about one patient rather than what a source says."""
