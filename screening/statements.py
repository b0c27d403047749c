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

from collections.abc import Iterable, Mapping

from screening.catalogue import N_, Words, _
from screening.citations import cited_as
from screening.models import (
    Entry,
    Source,
    SourceStatement,
    SourceStrength,
    StatementRef,
    ordered_statements,
)

STATEMENTS_HEADING = N_("What the sources say")
"""The block at the top of a checklist that lists its entries' source statements once each."""

STATEMENTS_INTRO = N_(
    "Quoted from the sources the points below cite, each with where it says so; "
    "information with its citation, not a finding about this patient."
)
"""Under the heading, once."""

OPEN_STATEMENTS_HEADING = N_("If an open question is answered so that it raises its point")
"""In the top block, after the statements behind the points raised: the statements behind
points still open (an Unknown or unanswered question), said of the question, not the patient."""

OPEN_STATEMENTS_INTRO = N_(
    "Contraindications and \u201cdo not\u201d statements only; every statement a point cites "
    "is under that point."
)
"""Under that sub-heading: why the open group at the top is shorter than the points below."""

ABSENT_POINT_NOTE = N_(
    "A point not listed here means that no answer given raised it, not that the patient "
    "was assessed as low risk."
)
"""Said once on every checklist: a short list is not a clean bill of health."""

OPEN_POINT_NOTE = N_(
    "Unknown or unanswered is never read as No: a point it leaves open is listed with what "
    "to find out."
)
"""Said wherever an open point or a question not assessed is shown."""

STRENGTH_WORDS: Mapping[SourceStrength, str] = Words(
    {
        "contraindication": N_("contraindication"),
        "do-not": N_("do not"),
        "should-not": N_("should not"),
        "caution": N_("caution"),
    }
)
"""How strongly the source says it, as a reader sees it."""


def attribution(said: StatementRef) -> str:
    """Who says it, where, and how strongly: `KETALAR ... injection (4 Contraindications),
    contraindication`."""
    return _("{cited_as} ({section}), {strength}").format(
        cited_as=said.cited_as, section=said.section, strength=STRENGTH_WORDS[said.strength]
    )


def statement_text(said: StatementRef) -> str:
    """A statement on one line of plain text: its attribution, then the source's words in
    quotation marks."""
    return _("{attribution}: \u201c{statement}\u201d").format(
        attribution=attribution(said), statement=said.statement
    )


def statement_ref(said: SourceStatement, source: Source) -> StatementRef:
    """A rule's statement as a checklist carries it, attributed to `source`'s short name."""
    return StatementRef(**said.model_dump(), cited_as=cited_as(source))


def group_statements(entries: Iterable[Entry]) -> tuple[StatementRef, ...]:
    """The statements of several entries (open points grouped under one question) once each,
    strongest first, then in the order the entries give them."""
    return ordered_statements(entries)
