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
from typing import Any

from screening.citations import source_markdown
from screening.describe import item_list
from screening.fhir.questionnaire import DEFAULT_BASE, check_base, questionnaire_id_of
from screening.language import DISCLAIMER
from screening.markdown import md_escape
from screening.models import Checklist, Entry
from screening.open_entries import entry_headline
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

SHORT_OPEN_PREFIX = "Find out. "
"""Starts an open entry's summary when its full wording is too long for a card."""


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
        return f"{self.label} = Yes, from the record: {self.display} ({self.resource}{when})"


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
    return [
        _card(
            checklist,
            entry,
            system=system,
            card_id=make_uuid(),
            from_record=from_record,
        )
        for entry in checklist.entries
    ]


def _card(
    checklist: Checklist,
    entry: Entry,
    *,
    system: str,
    card_id: str,
    from_record: Sequence[FromRecord],
) -> dict[str, Any]:
    detail = card_detail(checklist, entry)
    behind = {b.item for b in entry.because}
    taken = [f.words() for f in from_record if f.item in behind]
    if taken:
        detail += "\n\n**From the record** (confirm with the patient):\n\n" + "\n".join(
            f"- {md_escape(t)}" for t in taken
        )
    return {
        "uuid": card_id,
        "summary": card_summary(entry),
        "indicator": "info",
        "detail": detail,
        "source": {
            "label": source_label(checklist),
            "topic": {"system": system, "code": entry.rule_id, "display": KIND_WORDS[entry.kind]},
        },
    }


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def summary_line(checklist: Checklist, from_record: int) -> str:
    """The summary card's one line: how many points, how many open, discussed, from the record."""
    entries = checklist.entries
    parts = [
        "Ketamine discussion checklist: "
        + _count(len(entries), "point", "points")
        + " to go through",
        f"{sum(1 for e in entries if e.open_items)} open",
    ]
    discussed = sum(1 for e in entries if e.done)
    if discussed:
        parts.append(f"{discussed} discussed")
    if from_record:
        parts.append(_count(from_record, "answer", "answers") + " from the record")
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
    if checklist.entries:
        lines += ["**Points to go through**", ""]
        for entry in checklist.entries:
            mark = " (discussed)" if entry.done else ""
            lines.append(
                f"- **{KIND_WORDS[entry.kind]}**{mark}: {md_escape(entry_headline(entry))}"
            )
    else:
        lines.append("No point of the checklist is raised by the answers on record.")
    lines += ["", f"*{md_escape(ABSENT_POINT_NOTE)}*"]
    lines += _statement_lines(checklist)
    if from_record:
        lines += ["", "**From the record** (confirm each with the patient):", ""]
        lines += [f"- {md_escape(f.words())}" for f in from_record]
    if checklist.not_assessed:
        lines += [
            "",
            f"**Not assessed:** {_count(len(checklist.not_assessed), 'question', 'questions')}; "
            "unknown or unanswered is never read as No.",
        ]
    elif any(e.open_items for e in checklist.entries):
        lines += ["", f"*{md_escape(OPEN_POINT_NOTE)}*"]
    lines += ["", md_escape(DISCLAIMER)]
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
                "display": "Discussion checklist",
            },
        },
    }
    if app_url:
        card["links"] = [
            {"label": "Open the discussion checklist", "url": app_url, "type": "absolute"}
        ]
    return card


def _statement_lines(checklist: Checklist) -> list[str]:
    """What the sources say about the points raised, then about the open ones, once each."""
    lines: list[str] = []
    if checklist.statements or checklist.open_statements:
        lines += ["", f"**{STATEMENTS_HEADING}**", ""]
        lines += [f"- {md_escape(statement_text(s))}" for s in checklist.statements]
    if checklist.open_statements:
        lines += [
            "",
            f"*{md_escape(OPEN_STATEMENTS_HEADING)}* ({md_escape(OPEN_STATEMENTS_INTRO)})",
        ]
        lines += ["", *[f"- {md_escape(statement_text(s))}" for s in checklist.open_statements]]
    return lines


def _status_warning(checklist: Checklist) -> tuple[str, ...]:
    """The warning of a pack not approved, as every card says it: each may be shown alone."""
    status = checklist.rule_set.status
    return tuple(warning for named, warning in STATUS_WARNINGS.items() if named == status)


def card_summary(entry: Entry) -> str:
    """The rule's one-line summary; an open entry reads as the checklist words it, what to
    find out and what the answer would raise, shortened to its headline if too long."""
    if not entry.open_items:
        return entry.summary or entry.text  # a raised entry's text is its rule's
    if len(entry.text) <= MAX_SUMMARY:
        return entry.text
    return SHORT_OPEN_PREFIX + entry_headline(entry)


def card_detail(checklist: Checklist, entry: Entry) -> str:
    """The entry in Markdown: what to do, the answers behind it, what is open, the sources."""
    label = checklist.label
    lines = [f"**{md_escape(w)}**" for w in _status_warning(checklist)]
    lines += [
        *([""] if lines else []),
        f"**{KIND_WORDS[entry.kind]}** (rule `{entry.rule_id}`)",
        "",
        md_escape(entry.text, block=True),
    ]
    if entry.source_says:
        lines += ["", f"**{STATEMENTS_HEADING}:**", ""]
        lines += [f"- {md_escape(statement_text(s))}" for s in entry.source_says]
    if entry.open_items:
        lines += ["", f"**If it applies:** {md_escape(entry.if_applies)}"]
    lines += ["", f"**Answers that raised it:** {md_escape(answers_behind(checklist, entry))}"]
    if entry.open_items:
        still = item_list([label(i) for i in entry.open_items])
        lines += [
            "",
            f"**Still to find out:** {md_escape(still)}. Unknown or unanswered is never read as "
            "No.",
        ]
    # Each card may be shown alone, so each says what a card not shown means.
    lines += ["", f"*{md_escape(ABSENT_POINT_NOTE)}*"]
    lines += ["", f"**Why it matters:** {md_escape(entry.rationale)}", "", "**Sources**", ""]
    lines += [f"- {source_markdown(s)}" for s in entry.sources]
    return "\n".join(lines)
