"""How a point left open by a not-yet-known answer reads, and how open points group.

An open point is a question to settle, not a finding: it reads as what to find out, then
what the answer would raise ("Find out: liver disease? If yes: Verify ..."), and the view
lists open points under the question that would settle them. The entry keeps the structure
only (its questions, the answers that would raise it, its rule's summary and text as the
pack wrote them); each view words it here, in its own language, when it shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from screening.algebra import IF_ANSWERED
from screening.catalogue import active_language, translations
from screening.models import Answer, Entry


def _if_answer(answer: Answer) -> str:
    """The words for "if this answer", whole: a language may put the answer anywhere
    (`algebra.AnswerRow.if_answered`)."""
    return IF_ANSWERED[answer]


def open_headline(
    open_items: int, raising: tuple[Answer, ...], summary: str, *, language: str | None = None
) -> str:
    """What an open point would raise once answered: "If yes: <summary>"."""
    words = translations(language or active_language())
    if open_items == 1 and len(raising) == 1:
        return words.gettext(_if_answer(raising[0])).format(summary=summary)
    return words.ngettext(
        "Depending on the answer: {summary}", "Depending on the answers: {summary}", open_items
    ).format(summary=summary)


def open_entry_text(
    labels: list[str], raising: tuple[Answer, ...], summary: str, *, language: str | None = None
) -> str:
    """The whole open point: "Find out: <label>? If yes: <summary>"."""
    words = translations(language or active_language())
    headline = open_headline(len(labels), raising, summary, language=language)
    return words.gettext("Find out: {questions}? {headline}").format(
        questions="; ".join(labels), headline=headline
    )


def _headline(entry: Entry) -> str:
    """What an open point would raise: the rule's summary, else its text (a pack of schema
    1.0, which has no summaries)."""
    return entry.summary or entry.text


def entry_headline(entry: Entry) -> str:
    """The line to show under its question: the headline for an open point, else its text."""
    if not entry.open_items:
        return entry.text
    return open_headline(len(entry.open_items), entry.raised_if, _headline(entry))


def entry_text(entry: Entry, label: Callable[[str], str]) -> str:
    """An entry's whole text in the language of the view: an open point worded from its
    questions (`label` names them) and what it would raise; a point raised as its rule's
    text."""
    if not entry.open_items:
        return entry.text
    return open_entry_text([label(i) for i in entry.open_items], entry.raised_if, _headline(entry))


def group_open_entries(entries: Iterable[Entry]) -> dict[str, list[Entry]]:
    """Open points by the first question that would settle them, in the order they come."""
    groups: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.open_items:
            groups.setdefault(entry.open_items[0], []).append(entry)
    return groups
