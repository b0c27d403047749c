"""The pack's answers drawn from the record (record.yaml), as a committee reads and diffs them.

Each match is shown as a sentence (which coded data answers which question Yes) with every
code and where it was checked; the diff compares matches by id, field by field, in the same
words (`match_fields`), so the review document and the diff never disagree.
"""

from __future__ import annotations

from screening.markdown import md_escape
from screening.models import RulePack
from screening.pack.record_map import RecordCode, RecordMap, RecordMatch

RECORD_HEADING = "Answers drawn from the record (record.yaml)"


def _code(code: RecordCode) -> str:
    under = " and every code under it" if code.prefix else ""
    return f"{code.system} {code.code} {code.display}{under} (checked: {code.verified})"


def match_fields(match: RecordMatch, pack: RulePack) -> dict[str, str | None]:
    """A match's fields in plain words, by the name a diff gives them, in reading order."""
    question = pack.item(match.item).label if pack.has_item(match.item) else match.item
    threshold = match.threshold
    return {
        "question answered Yes": f"{question} ({match.item})",
        "read from": ", ".join(match.resources),
        "codes": "; ".join(_code(c) for c in match.codes),
        "value set": match.value_set,
        "counts when above": (
            f"{threshold.above:g} {threshold.unit} ({threshold.citation})" if threshold else None
        ),
        "counts when started at least": (
            f"{match.for_at_least_days} days before" if match.for_at_least_days else None
        ),
        "note": match.note,
    }


def orders_fields(record: RecordMap) -> dict[str, str | None]:
    return {
        "ketamine order codes": "; ".join(_code(c) for c in record.orders.codes),
        "ketamine brand names": ", ".join(record.orders.brand_names) or None,
    }


def record_markdown(record: RecordMap | None, pack: RulePack) -> list[str]:
    """The review document's part on answers drawn from the record; none without record.yaml."""
    if record is None:
        return []
    lines = [
        f"## {RECORD_HEADING}",
        "",
        "Coded data in a patient's record (FHIR) that answers a question **Yes, from the "
        "record**, shown with the resource, code and date it came from. A record without "
        "these codes answers nothing: **never No**. The clinician's own answer always wins, "
        "and the web form counts an answer from the record only once the clinician confirms "
        "it. Only the codes listed here count. Note: the content fingerprint above covers the "
        "questions, rules and sources, not this mapping; `diff` lists its changes.",
        "",
    ]
    for match in record.matches:
        label = pack.item(match.item).label if pack.has_item(match.item) else match.item
        lines += [
            f"### `{match.id}`",
            "",
            f"- Answers Yes: *{md_escape(label)}* (`{match.item}`)",
        ]
        for name, value in match_fields(match, pack).items():
            if value is not None and name not in ("question answered Yes", "codes"):
                lines.append(f"- {name[0].upper()}{name[1:]}: {md_escape(value)}")
        lines += ["", "| System | Code | Display | Checked |", "|---|---|---|---|"]
        for code in match.codes:
            shown = f"{code.code} and under" if code.prefix else code.code
            lines.append(
                f"| {_cell(code.system)} | {_cell(shown)} | {_cell(code.display)} | "
                f"{_cell(code.verified)} |"
            )
        lines.append("")
    lines += ["### Ketamine orders (order-select)", ""]
    lines.append(
        "- Brand names: " + (md_escape(", ".join(record.orders.brand_names)) or "none listed")
    )
    lines += ["", "| System | Code | Display | Checked |", "|---|---|---|---|"]
    for code in record.orders.codes:
        lines.append(
            f"| {_cell(code.system)} | {_cell(code.code)} | {_cell(code.display)} | "
            f"{_cell(code.verified)} |"
        )
    lines.append("")
    return lines


def _cell(text: str) -> str:
    return md_escape(text).replace("|", "\\|")
