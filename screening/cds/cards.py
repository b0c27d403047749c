"""A checklist as CDS Hooks cards: one `info` card per entry, each explaining itself.

Pure: the same pack and answers give the same cards, down to each card's `uuid`. A card
never carries a suggestion or a verdict; an entry left open says what to find out.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from screening.citations import source_markdown
from screening.describe import item_list
from screening.markdown import md_escape
from screening.models import AnswersFile, Checklist, Entry, Rule, RulePack
from screening.open_entries import entry_headline
from screening.statements import ABSENT_POINT_NOTE, STATEMENTS_HEADING, statement_text
from screening.words import KIND_WORDS, answers_behind

CARD_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:screening:cds-card")
"""Namespace of the cards' deterministic uuids."""

MAX_SUMMARY = 139
"""CDS Hooks wants a card's summary under 140 characters."""

SHORT_OPEN_PREFIX = "Find out. "
"""Starts an open entry's summary when its full wording is too long for a card."""


def card_uuid(pack: RulePack, rule_id: str, answers: AnswersFile) -> str:
    """Same pack content, rule and answers: same uuid, so feedback can name the card."""
    key = json.dumps([pack.sha256, rule_id, sorted(answers.answers.items())])
    return str(uuid.uuid5(CARD_NAMESPACE, key))


def source_label(checklist: Checklist) -> str:
    rs = checklist.rule_set
    return f"{rs.name} {rs.version} ({rs.status})"


def checklist_cards(
    pack: RulePack, answers: AnswersFile, checklist: Checklist
) -> list[dict[str, Any]]:
    """One card per checklist entry, in the checklist's order."""
    rules = {rule.id: rule for rule in pack.rules}
    return [
        _card(pack, answers, checklist, entry, rules[entry.rule_id]) for entry in checklist.entries
    ]


def _card(
    pack: RulePack, answers: AnswersFile, checklist: Checklist, entry: Entry, rule: Rule
) -> dict[str, Any]:
    return {
        "uuid": card_uuid(pack, entry.rule_id, answers),
        "summary": card_summary(entry, rule),
        "indicator": "info",
        "detail": card_detail(checklist, entry, rule),
        "source": {
            "label": source_label(checklist),
            "topic": {"code": entry.rule_id, "display": KIND_WORDS[entry.kind]},
        },
    }


def card_summary(entry: Entry, rule: Rule) -> str:
    """The rule's one-line summary; an open entry reads as the checklist words it, what to
    find out and what the answer would raise, shortened to its headline if too long."""
    if not entry.open_items:
        return entry.summary or rule.headline
    if len(entry.text) <= MAX_SUMMARY:
        return entry.text
    return SHORT_OPEN_PREFIX + entry_headline(entry)


def card_detail(checklist: Checklist, entry: Entry, rule: Rule) -> str:
    """The entry in Markdown: what to do, the answers behind it, what is open, the sources."""
    label = checklist.label
    lines = [
        f"**{KIND_WORDS[entry.kind]}** (rule `{entry.rule_id}`)",
        "",
        md_escape(entry.text, block=True),
    ]
    if entry.source_says:
        lines += ["", f"**{STATEMENTS_HEADING}:**", ""]
        lines += [f"- {md_escape(statement_text(s))}" for s in entry.source_says]
    if entry.open_items:
        lines += ["", f"**If it applies:** {md_escape(rule.text)}"]
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
