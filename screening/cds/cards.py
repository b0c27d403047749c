"""A checklist as CDS Hooks cards: one summary card per call, or one `info` card per entry.

Pure but for each card's `uuid`, which is new for every card of every call (CDS Hooks wants
it unique, so feedback names one card shown once). A card never carries a suggestion or a
verdict; an entry left open says what to find out; answers taken from the patient's record
are named as such. A per-point card's words are kept per rule (`screening.cds.card_words`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from screening.catalogue import _, active_language, ngettext
from screening.cds.card_words import (
    MAX_SUMMARY,
    SHORT_OPEN_PREFIX,
    FromRecord,
    Piece,
    card_words,
    escaped,
    json_inner,
    prepare_cards,
    rule_cards,
    rule_set_label,
    text_of,
    topic_system,
)
from screening.fhir.questionnaire import DEFAULT_BASE
from screening.language import DISCLAIMER
from screening.markdown import md_escape
from screening.models import (
    Checklist,
)
from screening.open_entries import entry_headline
from screening.statements import (
    ABSENT_POINT_NOTE,
    OPEN_POINT_NOTE,
    OPEN_STATEMENTS_HEADING,
    OPEN_STATEMENTS_INTRO,
    STATEMENTS_HEADING,
    statement_text,
)
from screening.words import (
    KIND_WORDS,
    STATUS_WARNINGS,
)

SUMMARY_CODE = "discussion-checklist"
"""The summary card's topic code, in the rules' CodeSystem beside the rule ids."""

UuidMaker = Callable[[], str]


def new_uuid() -> str:
    """A fresh random uuid: no two cards, of one call or of two patients, share one."""
    return str(uuid.uuid4())


def source_label(checklist: Checklist) -> str:
    return rule_set_label(checklist.rule_set)


def new_uuids(count: int) -> list[str]:
    """`count` fresh random uuids (version 4, as `new_uuid` makes them) from one read of the
    system's random source: a call's cards take dozens."""
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = bytes(b & 0x0F | 0x40 for b in raw[6::16])  # version 4
    raw[8::16] = bytes(b & 0x3F | 0x80 for b in raw[8::16])  # RFC 4122 variant
    hexes = raw.hex()
    return [
        f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        for h in (hexes[i : i + 32] for i in range(0, 32 * count, 32))
    ]


def checklist_cards(
    checklist: Checklist,
    *,
    base: str = DEFAULT_BASE,
    make_uuid: UuidMaker = new_uuid,
    from_record: Sequence[FromRecord] = (),
) -> list[dict[str, Any]]:
    """One card per checklist entry, in the checklist's order: from the checklist alone."""
    rules = rule_cards(active_language(), base, checklist.rule_set)
    label = labeller(checklist)
    cards = []
    for entry in checklist.entries:
        _rule, summary, detail = card_words(checklist, entry, rules, label, from_record)
        cards.append(
            {
                "uuid": make_uuid(),
                "summary": text_of(summary),
                "indicator": "info",
                "detail": "".join(map(text_of, detail)),
                "source": rules.source(entry),
            }
        )
    return cards


def checklist_cards_json(
    checklist: Checklist,
    *,
    base: str = DEFAULT_BASE,
    make_uuid: UuidMaker = new_uuid,
    from_record: Sequence[FromRecord] = (),
) -> bytes:
    """`checklist_cards` as the JSON array Starlette's `JSONResponse` writes, byte for byte,
    put together from each rule's words kept as JSON (`_RuleCard`): what the service sends
    for per-point cards, at a fraction of the time."""
    rules = rule_cards(active_language(), base, checklist.rule_set)
    label = labeller(checklist)
    entries = checklist.entries
    if make_uuid is new_uuid:  # hexadecimal digits and dashes: nothing to escape
        ids = [u.encode() for u in new_uuids(len(entries))]
    else:
        ids = [json_inner(make_uuid()) for _ in entries]
    out = [b"["]
    for n, (entry, card_id) in enumerate(zip(entries, ids, strict=True)):
        rule, summary, detail = card_words(checklist, entry, rules, label, from_record)
        out += (
            b'{"uuid":"' if n == 0 else b',{"uuid":"',
            card_id,
            b'","summary":"',
            summary.json if isinstance(summary, Piece) else json_inner(summary),
            b'","indicator":"info","detail":"',
            *[p.json if isinstance(p, Piece) else json_inner(p) for p in detail],
            b'","source":',
            rule.source_json,
            b"}",
        )
    out.append(b"]")
    return b"".join(out)


def labeller(checklist: Checklist) -> Callable[[str], str]:
    """`checklist.label` as one dictionary look-up: a call's cards name items hundreds of times."""
    labels = {i.id: i.label for i in reversed(checklist.items)}  # the first of an id wins
    return lambda item: labels.get(item, item)


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
        lines.append(f"- **{KIND_WORDS[entry.kind]}**{mark}: {escaped(entry_headline(entry))}")
    return lines


def _statements_lines(checklist: Checklist) -> list[str]:
    """What the sources say, the statements behind open points after those raised."""
    lines: list[str] = []
    if checklist.statements or checklist.open_statements:
        lines += ["", f"**{_(STATEMENTS_HEADING)}**", ""]
        lines += [f"- {escaped(statement_text(s))}" for s in checklist.statements]
    if checklist.open_statements:
        heading = md_escape(_(OPEN_STATEMENTS_HEADING))
        lines += ["", f"*{heading}* ({md_escape(_(OPEN_STATEMENTS_INTRO))})"]
        lines += ["", *[f"- {escaped(statement_text(s))}" for s in checklist.open_statements]]
    return lines


def _status_warning(checklist: Checklist) -> tuple[str, ...]:
    """The warning of a pack not approved, as every card says it: each may be shown alone."""
    status = checklist.rule_set.status
    return tuple(warning for named, warning in STATUS_WARNINGS.items() if named == status)


__all__ = [
    "MAX_SUMMARY",
    "SHORT_OPEN_PREFIX",
    "SUMMARY_CODE",
    "FromRecord",
    "checklist_cards",
    "checklist_cards_json",
    "new_uuid",
    "prepare_cards",
    "summary_card",
    "summary_line",
    "topic_system",
]
