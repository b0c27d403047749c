"""The wording guard over a pack's texts, each problem placed at its line."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from ruamel.yaml.comments import CommentedMap

from screening.catalogue import N_, Said
from screening.errors import Problem
from screening.hidden import DEFAULT_SCRIPTS
from screening.language import NO_VOCABULARY, Vocabulary, wording_problems


def guard_wording(
    shown: str,
    raw: CommentedMap,
    texts: Mapping[str, str | Sequence[str] | None],
    ref: str | None,
    prefix: str = "",
    *,
    scripts: tuple[str, ...] = DEFAULT_SCRIPTS,
    wording: bool = True,
    gatekeeping: bool = True,
    vocabulary: Vocabulary = NO_VOCABULARY,
) -> Iterator[Problem]:
    """Verdict words and gatekeeping phrases (when `wording`; the phrases also only when
    `gatekeeping`), and anything that would make a reader see other letters or another order
    than stored, in texts a clinician reads; a list's texts each at their own line.
    `wording=False` is for text quoted as published (`wording_problems`' `quoted`)."""
    in_force = vocabulary.for_scripts(scripts)
    for field, value in texts.items():
        if not value:
            continue
        for n, text in enumerate([value] if isinstance(value, str) else value):
            found = wording_problems(
                text,
                scripts=scripts,
                vocabulary=in_force,
                quoted=not wording,
                gatekeeping=gatekeeping,
            )
            if not found:
                continue  # a line is asked for only when there is a problem to place
            at = raw.lc.key(field) if isinstance(value, str) else raw[field].lc.item(n)
            yield from (
                Problem(
                    shown,
                    Said(N_("{field} {problem}"), field=prefix + field, problem=f),
                    at[0] + 1,
                    ref,
                )
                for f in found
            )
