"""A checklist as CDS Hooks cards: one `info` card per entry, each explaining itself.

Pure: the same pack and answers give the same cards, down to each card's `uuid`. A card
never carries a suggestion or a verdict; an entry left open says what to find out first.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from screening.describe import ANSWER_WORDS, item_list
from screening.export import KIND_WORDS
from screening.markdown import md_escape
from screening.models import AnswersFile, Checklist, Entry, Rule, RulePack

CARD_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:screening:cds-card")
"""Namespace of the cards' deterministic uuids."""

OPEN_PREFIX = "Find out first: "
"""An open entry's summary starts with this: Unknown means find out, never No."""


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


def _label(pack: RulePack, item_id: str) -> str:
    return pack.item(item_id).label if pack.has_item(item_id) else item_id


def _card(
    pack: RulePack, answers: AnswersFile, checklist: Checklist, entry: Entry, rule: Rule
) -> dict[str, Any]:
    summary = OPEN_PREFIX + rule.summary if entry.open_items else rule.summary
    return {
        "uuid": card_uuid(pack, entry.rule_id, answers),
        "summary": summary,
        "indicator": "info",
        "detail": card_detail(pack, entry),
        "source": {
            "label": source_label(checklist),
            "topic": {"code": entry.rule_id, "display": KIND_WORDS[entry.kind]},
        },
    }


def card_detail(pack: RulePack, entry: Entry) -> str:
    """The entry in Markdown: what to do, the answers behind it, what is open, the sources."""
    because = "; ".join(f"{_label(pack, b.item)} = {ANSWER_WORDS[b.answer]}" for b in entry.because)
    lines = [
        f"**{KIND_WORDS[entry.kind]}** (rule `{entry.rule_id}`)",
        "",
        md_escape(entry.text, block=True),
        "",
        f"**Answers that raised it:** {md_escape(because) or 'no answer needed'}",
    ]
    if entry.open_items:
        still = item_list([_label(pack, i) for i in entry.open_items])
        lines += [
            "",
            f"**Still to find out:** {md_escape(still)}. Unknown or unanswered is never read as "
            "No.",
        ]
    lines += ["", f"**Why it matters:** {md_escape(entry.rationale)}", "", "**Sources**", ""]
    lines += [f"- {md_escape(s.citation)}" for s in entry.sources]
    return "\n".join(lines)
