"""What the sources themselves say, as every view prints it, and the line on points not listed.

A rule may quote what its own sources state about its point (`Rule.source_says`): a
contraindication, a "do not", a "should not" or a caution, in the source's words. The
checklist carries each statement attributed (`StatementRef.cited_as`) on its entry, and once
more in a short block at its top. Every view prints a statement the same way, as
information with its citation ("KETALAR (ketamine hydrochloride) injection (4
Contraindications), contraindication: "..."), never combined into anything said about the
patient. The words here are the program's own; the language guard's tests read them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from screening.models import Source, SourceStrength, StatementRef

STATEMENTS_HEADING = "What the sources say"
"""The block at the top of a checklist that lists its entries' source statements once each."""

STATEMENTS_INTRO = (
    "Quoted from the sources the points below cite, each with where it says so; "
    "information with its citation, not a finding about this patient."
)
"""Under the heading, once."""

ABSENT_POINT_NOTE = (
    "A point not listed here means that no answer given raised it, not that the patient "
    "was assessed as low risk."
)
"""Said once on every checklist: a short list is not a clean bill of health."""

STRENGTH_WORDS: Mapping[SourceStrength, str] = {
    "contraindication": "contraindication",
    "do-not": "do not",
    "should-not": "should not",
    "caution": "caution",
}
"""How strongly the source says it, as a reader sees it."""

SHORT_NAME_MAX = 60
"""A short name made from a citation is cut to this many characters."""

_YEAR = re.compile(r"\b(?:19|20)\d{2}\b")


def cited_as(source: Source) -> str:
    """The name a statement is attributed to: the source's `short_name`, or a short form of
    its citation: its first sentence up to the first comma, "et al." after a list of authors,
    and the first year the citation gives ("Cohen SP et al., 2018")."""
    if source.short_name:
        return source.short_name
    first = re.split(r"\.\s", source.citation, maxsplit=1)[0].strip().rstrip(".")
    head = first.split(",")[0].strip()
    authors = first.count(",") >= 2 and len(head.split()) <= 3
    name = f"{head} et al." if authors else head
    year = _YEAR.search(source.citation)
    if year and year.group(0) not in name:
        name = f"{name}, {year.group(0)}"
    if len(name) > SHORT_NAME_MAX:
        name = name[: SHORT_NAME_MAX - 1].rsplit(" ", 1)[0] + "…"
    return name


def attribution(said: StatementRef) -> str:
    """Who says it, where, and how strongly: `KETALAR ... injection (4 Contraindications),
    contraindication`."""
    return f"{said.cited_as} ({said.section}), {STRENGTH_WORDS[said.strength]}"


def statement_text(said: StatementRef) -> str:
    """A statement on one line of plain text: its attribution, then the source's words in
    quotation marks."""
    return f"{attribution(said)}: \u201c{said.statement}\u201d"
