"""The pack's answers drawn from the record (record.yaml), as a committee reads and diffs them.

Each match is shown as a sentence (which coded data answers which question Yes) with every
code and where it was checked; the diff compares matches by id, field by field, in the same
words (`match_fields`), so the review document and the diff never disagree.
"""

from __future__ import annotations

from screening.catalogue import N_, _
from screening.markdown import md_escape
from screening.models import RulePack
from screening.pack.record_map import RecordCode, RecordMap, RecordMatch

RECORD_HEADING = N_("Answers drawn from the record (record.yaml)")


def _code(code: RecordCode) -> str:
    under = " " + _("and every code under it") if code.prefix else ""
    return _("{system} {code} {display}{under} (checked: {verified})").format(
        system=code.system,
        code=code.code,
        display=code.display,
        under=under,
        verified=code.verified,
    )


def match_fields(match: RecordMatch, pack: RulePack) -> dict[str, str | None]:
    """A match's fields in plain words, by the name a diff gives them, in reading order."""
    question = pack.item(match.item).label if pack.has_item(match.item) else match.item
    threshold = match.threshold
    return {
        N_("question answered Yes"): f"{question} ({match.item})",
        N_("read from"): ", ".join(match.resources),
        N_("codes"): "; ".join(_code(c) for c in match.codes),
        N_("value set"): match.value_set,
        N_("counts when above"): (
            f"{threshold.above:g} {threshold.unit} ({threshold.citation})" if threshold else None
        ),
        N_("counts when started at least"): (
            _("{n} days before").format(n=match.for_at_least_days)
            if match.for_at_least_days
            else None
        ),
        N_("note"): match.note,
    }


def orders_fields(record: RecordMap) -> dict[str, str | None]:
    return {
        N_("ketamine order codes"): "; ".join(_code(c) for c in record.orders.codes),
        N_("ketamine brand names"): ", ".join(record.orders.brand_names) or None,
    }


def record_markdown(record: RecordMap | None, pack: RulePack) -> list[str]:
    """The review document's part on answers drawn from the record; none without record.yaml."""
    if record is None:
        return []
    lines = [
        f"## {_(RECORD_HEADING)}",
        "",
        _(
            "Coded data in a patient's record (FHIR) that answers a question **Yes, from the "
            "record**, shown with the resource, code and date it came from. A record without "
            "these codes answers nothing: **never No**. The clinician's own answer always wins, "
            "and the web form counts an answer from the record only once the clinician confirms "
            "it. Only the codes listed here count. Note: the content fingerprint above covers the "
            "questions, rules and sources, not this mapping; `diff` lists its changes."
        ),
        "",
    ]
    columns = "| " + " | ".join((_("System"), _("Code"), _("Display"), _("Checked"))) + " |"
    for match in record.matches:
        label = pack.item(match.item).label if pack.has_item(match.item) else match.item
        lines += [
            f"### `{match.id}`",
            "",
            "- " + _("Answers Yes: {item}").format(item=f"*{md_escape(label)}* (`{match.item}`)"),
        ]
        for name, value in match_fields(match, pack).items():
            if value is not None and name not in ("question answered Yes", "codes"):
                shown_name = _(name)
                lines.append(f"- {shown_name[0].upper()}{shown_name[1:]}: {md_escape(value)}")
        lines += ["", columns, "|---|---|---|---|"]
        for code in match.codes:
            shown = _("{code} and under").format(code=code.code) if code.prefix else code.code
            lines.append(
                f"| {_cell(code.system)} | {_cell(shown)} | {_cell(code.display)} | "
                f"{_cell(code.verified)} |"
            )
        lines.append("")
    lines += ["### " + _("Ketamine orders (order-select)"), ""]
    brands = md_escape(", ".join(record.orders.brand_names)) or _("none listed")
    lines.append("- " + _("Brand names: {names}").format(names=brands))
    lines += ["", columns, "|---|---|---|---|"]
    for code in record.orders.codes:
        lines.append(
            f"| {_cell(code.system)} | {_cell(code.code)} | {_cell(code.display)} | "
            f"{_cell(code.verified)} |"
        )
    lines.append("")
    return lines


def _cell(text: str) -> str:
    return md_escape(text).replace("|", "\\|")
