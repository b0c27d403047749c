"""A checklist as CDS Hooks cards: one summary card per call, or one `info` card per entry.

Pure but for each card's `uuid`, which is new for every card of every call (CDS Hooks wants
it unique, so feedback names one card shown once). A card never carries a suggestion or a
verdict; an entry left open says what to find out; answers taken from the patient's record
are named as such.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from screening.catalogue import N_, _, active_language, ngettext
from screening.citations import source_markdown
from screening.describe import item_list
from screening.fhir.questionnaire import DEFAULT_BASE, check_base, questionnaire_id_of
from screening.language import DISCLAIMER
from screening.markdown import md_escape
from screening.models import Checklist, Entry, Kind, SourceRef, StatementRef
from screening.open_entries import entry_headline, entry_text
from screening.statements import (
    ABSENT_POINT_NOTE,
    OPEN_POINT_NOTE,
    OPEN_STATEMENTS_HEADING,
    OPEN_STATEMENTS_INTRO,
    STATEMENTS_HEADING,
    statement_text,
)
from screening.words import KIND_WORDS, STATUS_WARNINGS, answers_behind

MAX_SUMMARY = 139
"""CDS Hooks wants a card's summary under 140 characters."""

SHORT_OPEN_PREFIX = N_("Find out. ")
"""Starts an open entry's summary when its full wording is too long for a card (shown with
`_`, in the language of the render)."""


SUMMARY_CODE = "discussion-checklist"
"""The summary card's topic code, in the rules' CodeSystem beside the rule ids."""

UuidMaker = Callable[[], str]


def new_uuid() -> str:
    """A fresh random uuid: no two cards, of one call or of two patients, share one."""
    return str(uuid.uuid4())


def topic_system(pack_name: str, base: str = DEFAULT_BASE) -> str:
    """The CodeSystem of the cards' topics, named from the pack's name: each rule id is a
    code, as is `SUMMARY_CODE`."""
    return f"{check_base(base)}/CodeSystem/{questionnaire_id_of(pack_name)}-rules"


@dataclass(frozen=True)
class FromRecord:
    """An answer taken from the patient's record: which item, and the coded data behind it."""

    item: str
    label: str
    display: str
    resource: str
    date: str | None

    def words(self) -> str:
        when = f", {self.date}" if self.date else ""
        return _("{label} = Yes, from the record: {display} ({resource}{when})").format(
            label=self.label, display=self.display, resource=self.resource, when=when
        )


def source_label(checklist: Checklist) -> str:
    rs = checklist.rule_set
    return f"{rs.name} {rs.version} ({rs.status})"


def checklist_cards(
    checklist: Checklist,
    *,
    base: str = DEFAULT_BASE,
    make_uuid: UuidMaker = new_uuid,
    from_record: Sequence[FromRecord] = (),
) -> list[dict[str, Any]]:
    """One card per checklist entry, in the checklist's order: from the checklist alone."""
    system = topic_system(checklist.rule_set.name, base)
    label = labeller(checklist)
    source = source_label(checklist)
    return [
        _card(
            checklist,
            entry,
            system=system,
            card_id=make_uuid(),
            from_record=from_record,
            label=label,
            source=source,
        )
        for entry in checklist.entries
    ]


def labeller(checklist: Checklist) -> Callable[[str], str]:
    """`checklist.label` as one dictionary look-up: a call's cards name items hundreds of times."""
    labels = {i.id: i.label for i in reversed(checklist.items)}  # the first of an id wins
    return lambda item: labels.get(item, item)


def _card(
    checklist: Checklist,
    entry: Entry,
    *,
    system: str,
    card_id: str,
    from_record: Sequence[FromRecord],
    label: Callable[[str], str],
    source: str,
) -> dict[str, Any]:
    text = entry_text(entry, label)  # worded once, for the summary and the detail
    detail = card_detail(checklist, entry, label, text=text)
    behind = {b.item for b in entry.because} if from_record else set()
    taken = [f.words() for f in from_record if f.item in behind]
    if taken:
        heading = _("**From the record** (confirm with the patient):")
        detail += f"\n\n{heading}\n\n" + "\n".join(f"- {md_escape(t)}" for t in taken)
    return {
        "uuid": card_id,
        "summary": card_summary(entry, label, text=text),
        "indicator": "info",
        "detail": detail,
        "source": {
            "label": source,
            "topic": {"system": system, "code": entry.rule_id, "display": KIND_WORDS[entry.kind]},
        },
    }


def summary_line(checklist: Checklist, from_record: int) -> str:
    """The summary card's one line: how many points, how many open, discussed, from the record."""
    entries = checklist.entries
    n = len(entries)
    parts = [
        ngettext(
            "Ketamine discussion checklist: {n} point to go through",
            "Ketamine discussion checklist: {n} points to go through",
            n,
        ).format(n=n),
        _("{n} open").format(n=sum(1 for e in entries if e.open_items)),
    ]
    discussed = sum(1 for e in entries if e.done)
    if discussed:
        parts.append(_("{n} discussed").format(n=discussed))
    if from_record:
        parts.append(
            ngettext(
                "{n} answer from the record", "{n} answers from the record", from_record
            ).format(n=from_record)
        )
    return ", ".join(parts)


def summary_card(
    checklist: Checklist,
    *,
    base: str = DEFAULT_BASE,
    make_uuid: UuidMaker = new_uuid,
    from_record: Sequence[FromRecord] = (),
    app_url: str | None = None,
    notes: Sequence[str] = (),
) -> dict[str, Any]:
    """The whole checklist as one card: a line of counts, each point's headline in the detail,
    the answers taken from the record named, and a link to the web form when configured.

    `notes` are sentences the service must say (an older version's answers, a record that
    was not consulted); each comes first in the detail.
    """
    lines = [f"**{md_escape(n)}**" for n in (*_status_warning(checklist), *notes)]
    if lines:
        lines.append("")
    lines += _points_lines(checklist)
    lines += ["", f"*{md_escape(_(ABSENT_POINT_NOTE))}*"]
    lines += _statements_lines(checklist)
    if from_record:
        lines += ["", _("**From the record** (confirm each with the patient):"), ""]
        lines += [f"- {md_escape(f.words())}" for f in from_record]
    if checklist.not_assessed:
        missing = len(checklist.not_assessed)
        lines += [
            "",
            ngettext(
                "**Not assessed:** {n} question; unknown or unanswered is never read as No.",
                "**Not assessed:** {n} questions; unknown or unanswered is never read as No.",
                missing,
            ).format(n=missing),
        ]
    elif any(e.open_items for e in checklist.entries):
        lines += ["", f"*{md_escape(_(OPEN_POINT_NOTE))}*"]
    lines += ["", md_escape(_(DISCLAIMER))]
    card: dict[str, Any] = {
        "uuid": make_uuid(),
        "summary": summary_line(checklist, len(from_record))[:MAX_SUMMARY],
        "indicator": "info",
        "detail": "\n".join(lines),
        "source": {
            "label": source_label(checklist),
            "topic": {
                "system": topic_system(checklist.rule_set.name, base),
                "code": SUMMARY_CODE,
                "display": _("Discussion checklist"),
            },
        },
    }
    if app_url:
        card["links"] = [
            {"label": _("Open the discussion checklist"), "url": app_url, "type": "absolute"}
        ]
    return card


def _points_lines(checklist: Checklist) -> list[str]:
    """Each point's headline, or that none is raised."""
    if not checklist.entries:
        return [_("No point of the checklist is raised by the answers on record.")]
    lines = [_("**Points to go through**"), ""]
    for entry in checklist.entries:
        mark = " " + _("(discussed)") if entry.done else ""
        lines.append(f"- **{KIND_WORDS[entry.kind]}**{mark}: {_escaped(entry_headline(entry))}")
    return lines


def _statements_lines(checklist: Checklist) -> list[str]:
    """What the sources say, the statements behind open points after those raised."""
    lines: list[str] = []
    if checklist.statements or checklist.open_statements:
        lines += ["", f"**{_(STATEMENTS_HEADING)}**", ""]
        lines += [f"- {_escaped(statement_text(s))}" for s in checklist.statements]
    if checklist.open_statements:
        heading = md_escape(_(OPEN_STATEMENTS_HEADING))
        lines += ["", f"*{heading}* ({md_escape(_(OPEN_STATEMENTS_INTRO))})"]
        lines += ["", *[f"- {_escaped(statement_text(s))}" for s in checklist.open_statements]]
    return lines


def _status_warning(checklist: Checklist) -> tuple[str, ...]:
    """The warning of a pack not approved, as every card says it: each may be shown alone."""
    status = checklist.rule_set.status
    return tuple(warning for named, warning in STATUS_WARNINGS.items() if named == status)


@lru_cache(maxsize=64)
def _warning_lines(language: str, status: str) -> tuple[str, ...]:
    """The lines a card opens with for a pack of this status, in `language` (the active one,
    part of the key): the warning and a blank line, or none for an approved pack."""
    lines = tuple(f"**{md_escape(w)}**" for n, w in STATUS_WARNINGS.items() if n == status)
    return (*lines, "") if lines else ()


def card_summary(entry: Entry, label: Callable[[str], str], *, text: str | None = None) -> str:
    """The rule's one-line summary; an open entry reads as the checklist words it, what to
    find out and what the answer would raise (in the language of the render, `label` naming
    its questions), shortened to its headline if too long. `text` is the entry's
    `entry_text`, when the caller has it already."""
    if not entry.open_items:
        return entry.summary or entry.text  # a raised entry's text is its rule's
    text = entry_text(entry, label) if text is None else text
    if len(text) <= MAX_SUMMARY:
        return text
    return _(SHORT_OPEN_PREFIX) + entry_headline(entry)


def card_detail(
    checklist: Checklist,
    entry: Entry,
    label: Callable[[str], str] | None = None,
    *,
    text: str | None = None,
) -> str:
    """The entry in Markdown: what to do, the answers behind it, what is open, the sources.

    `label` names the items (`checklist.label` unless given); `text` is the entry's
    `entry_text`, when the caller has it already. The lines that are the rule's
    own (its heading, statements, rationale and sources) are worded once per language and
    rule content (`_rule_lines`); the lines that depend on the answers, every time.
    """
    label = label or checklist.label
    language = active_language()
    warning = _warning_lines(language, checklist.rule_set.status)  # a card may be shown alone
    head, says, tail = _rule_lines(
        language,
        entry.kind,
        entry.rule_id,
        entry.source_says,
        entry.rationale,
        entry.sources,
    )
    text = entry_text(entry, label) if text is None else text
    # an open point is worded from the questions still open; a raised one reads as its rule's
    # text, the same every call
    text = md_escape(text, block=True) if entry.open_items else _escaped_block(text)
    lines = [*warning, head, "", text, *says]
    if entry.open_items:
        lines += ["", _("**If it applies:** {text}").format(text=_escaped(entry.text))]
    behind = md_escape(answers_behind(checklist, entry, label))
    lines += ["", _("**Answers that raised it:** {answers}").format(answers=behind)]
    if entry.open_items:
        still = md_escape(item_list([label(i) for i in entry.open_items]))
        lines += [
            "",
            _(
                "**Still to find out:** {questions}. Unknown or unanswered is never read as No."
            ).format(questions=still),
        ]
    lines += tail
    return "\n".join(lines)


_RULE_CACHE = 4096
"""Rules' worded lines kept (per language and rule content): the shipped pack has about 50."""


@lru_cache(maxsize=_RULE_CACHE)
def _escaped(text: str) -> str:
    """`md_escape` of the pack's own words (a rule's text or headline, a statement), which
    every call repeats; never of words made from an answer."""
    return md_escape(text)


@lru_cache(maxsize=_RULE_CACHE)
def _escaped_block(text: str) -> str:
    """`md_escape(..., block=True)` of a rule's own text, which every call repeats."""
    return md_escape(text, block=True)


@lru_cache(maxsize=_RULE_CACHE)
def _rule_lines(  # noqa: PLR0917 - the cache's key is the rule's content
    language: str,
    kind: Kind,
    rule_id: str,
    source_says: tuple[StatementRef, ...],
    rationale: str,
    sources: tuple[SourceRef, ...],
) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """A card's lines from its rule alone, in `language` (the active one, part of the key):
    the heading, what the sources say, and the tail (a card not shown, why, the sources).
    Pack words only, never an answer: the same for every call."""
    rule = f"`{rule_id}`"
    head = _("**{kind}** (rule {rule})").format(kind=KIND_WORDS[kind], rule=rule)
    says: list[str] = []
    if source_says:
        says += ["", f"**{_(STATEMENTS_HEADING)}:**", ""]
        says += [f"- {md_escape(statement_text(s))}" for s in source_says]
    # Each card may be shown alone, so each says what a card not shown means.
    tail = ["", f"*{md_escape(_(ABSENT_POINT_NOTE))}*"]
    why = _("**Why it matters:** {rationale}").format(rationale=md_escape(rationale))
    tail += ["", why, "", _("**Sources**"), ""]
    tail += [f"- {source_markdown(s)}" for s in sources]
    return head, tuple(says), tuple(tail)
