"""Text exports of a checklist: JSON (the public machine shape) and Markdown (for people)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from functools import partial

from screening.canonical import canonical_sha256, checklist_digest
from screening.catalogue import N_, _
from screening.citations import source_markdown
from screening.markdown import md_escape
from screening.models import AnswersFile, Checklist, Entry
from screening.open_entries import entry_headline, entry_text, group_open_entries
from screening.statements import (
    ABSENT_POINT_NOTE,
    OPEN_POINT_NOTE,
    OPEN_STATEMENTS_HEADING,
    OPEN_STATEMENTS_INTRO,
    STATEMENTS_HEADING,
    STATEMENTS_INTRO,
    group_statements,
    statement_text,
)
from screening.words import (
    FIND_OUT_HEADING,
    NOT_ASSESSED_HEADING,
    PRODUCT_TITLE,
    STATUS_WARNINGS,
    answers_behind,
    by_section,
)

FIND_OUT_INTRO = N_(
    "Each question not yet answered, once, with what its answer would raise; the points "
    "raised are above, in full."
)
REST_NOT_ASSESSED = N_(
    "These raise no point whatever their answer; the other questions not assessed are under "
    "*To find out* above, with what each would raise."
)

NAME_REFERENCE_LENGTH = 40
"""The most of a patient reference a download's file name carries."""


def download_name(checklist: Checklist, extension: str, stem: str = "discussion-checklist") -> str:
    """A download's file name from the checklist's date and patient reference, so that files
    saved side by side are told apart: `discussion-checklist_2026-11-30_bed-4.pdf`.

    The reference is folded to lower-case ASCII letters, digits and hyphens, so the name is
    safe on every file system; without one (or with nothing left of it), the first 8 digits
    of the checklist's fingerprint stand in for it.
    """
    fingerprint = partial(checklist_digest, checklist)
    return _file_name(stem, checklist.date, checklist.patient_reference, fingerprint, extension)


def answers_download_name(answers: AnswersFile, extension: str = "json") -> str:
    """An answers file's name, as `download_name` makes it but from the answers alone, so the
    form can offer the file without building a checklist: `screening-answers_2026-11-30_bed-4.json`.

    Without a usable reference, the first 8 digits of the answers' fingerprint (the answers
    and details; the marks on the points follow from them) stand in for it.
    """
    fingerprint = partial(_answers_digest, answers)
    return _file_name(
        "screening-answers", answers.date, answers.patient_reference, fingerprint, extension
    )


def _answers_digest(answers: AnswersFile) -> str:
    return canonical_sha256(answers.model_dump(mode="json", exclude={"discussed"}))


def _file_name(
    stem: str,
    date: str | None,
    reference: str | None,
    fingerprint: Callable[[], str],
    extension: str,
) -> str:
    folded = unicodedata.normalize("NFKD", reference or "")
    ascii_only = folded.encode("ascii", "ignore").decode().lower()
    part = re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")
    part = part[:NAME_REFERENCE_LENGTH].rstrip("-") or fingerprint()[:8]
    return f"{stem}_{date or 'undated'}_{part}.{extension}"


def checklist_json(checklist: Checklist) -> str:
    """The checklist as JSON: same checklist, same bytes (fixed key order, no timestamps).

    The shape is the public contract, in every language; the fields that carry our words (the
    disclaimer, an open point's text) are worded in the language of the render. An open
    point's `text` reads as the checklist words it ("Find out: ...? If yes: ..."), as it has
    since 0.3.0, and its `rule_text` is its rule's own text (`Entry.text`)."""
    data = checklist.model_dump(mode="json")
    data["disclaimer"] = _(checklist.disclaimer)
    for shown, entry in zip(data["entries"], checklist.entries, strict=True):
        if entry.open_items:
            shown["text"] = entry_text(entry, checklist.label)
            shown["rule_text"] = entry.text
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def checklist_from_json(text: str | bytes) -> Checklist:
    """The checklist `checklist_json` wrote, read back (pydantic's `ValidationError` if it is
    not one): an open point's worded `text` is the view's, and its `rule_text` what the entry
    holds."""
    data = json.loads(text)
    if isinstance(data, dict) and isinstance(data.get("entries"), list):
        data["entries"] = [
            {k: v for k, v in e.items() if k != "rule_text"} | {"text": e["rule_text"]}
            if isinstance(e, dict) and "rule_text" in e
            else e
            for e in data["entries"]
        ]
    return Checklist.model_validate(data)


def checklist_markdown(checklist: Checklist) -> str:
    """A readable checklist: entries by section, each with its reasons and sources; from the
    checklist alone, in the language of the render."""
    rs = checklist.rule_set
    lines = [f"# {_(PRODUCT_TITLE)}", "", f"> {_(checklist.disclaimer)}", ""]
    # Pasted into a record without the app or the PDF, the file still says it is a draft.
    warning = next((w for status, w in STATUS_WARNINGS.items() if status == rs.status), None)
    if warning is not None:
        lines += [f"> **{warning}**", ""]
    pack_line = _("Rule pack: {name}, version {version} ({status})").format(
        name=md_escape(rs.name), version=md_escape(rs.version), status=rs.status
    )
    lines += [
        f"- {pack_line}",
        "- " + _("Rule pack sha256: {sha256}").format(sha256=f"`{rs.sha256}`"),
    ]
    details = [
        (_("Patient reference: {value}"), checklist.patient_reference),
        (_("Clinician: {value}"), checklist.clinician),
        (_("Date: {value}"), checklist.date),
    ]
    lines += [f"- {name.format(value=md_escape(value))}" for name, value in details if value]
    if not checklist.entries:
        lines += ["", _("No points were raised by these answers.")]
    lines += ["", md_escape(_(ABSENT_POINT_NOTE))]
    if checklist.not_assessed or any(e.open_items for e in checklist.entries):
        lines += ["", md_escape(_(OPEN_POINT_NOTE))]
    lines += _statements_markdown(checklist)
    raised = [e for e in checklist.entries if not e.open_items]  # first, and in full
    for section, entries in by_section(raised, lambda e: e.section).items():
        lines += ["", f"## {md_escape(section)}", ""]
        for entry in entries:
            lines += _entry_markdown(checklist, entry)
    groups = group_open_entries(checklist.entries)
    lines += _find_out_markdown(checklist, groups)
    rest = [i for i in checklist.not_assessed if i not in groups]
    if rest:
        lines += ["", "## " + _(NOT_ASSESSED_HEADING), ""]
        if groups:
            lines += [md_escape(_(REST_NOT_ASSESSED)), ""]
        lines += [f"- {md_escape(checklist.question(i))} (`{i}`)" for i in rest]
    if checklist.cited:
        lines += ["", "## " + _("Sources"), ""]
        lines += [f"- **{s.id}**: {source_markdown(s, full=True)}" for s in checklist.cited]
    return "\n".join(lines) + "\n"


def _statements_markdown(checklist: Checklist) -> list[str]:
    lines: list[str] = []
    if checklist.statements or checklist.open_statements:
        lines += ["", f"## {_(STATEMENTS_HEADING)}", "", md_escape(_(STATEMENTS_INTRO))]
    if checklist.statements:
        lines += [""] + [f"- {md_escape(statement_text(s))}" for s in checklist.statements]
    if checklist.open_statements:
        lines += ["", f"**{md_escape(_(OPEN_STATEMENTS_HEADING))}**", ""]
        lines += [md_escape(_(OPEN_STATEMENTS_INTRO)), ""]
        lines += [f"- {md_escape(statement_text(s))}" for s in checklist.open_statements]
    return lines


def _find_out_markdown(checklist: Checklist, groups: dict[str, list[Entry]]) -> list[str]:
    """The questions not yet answered, each once whatever the sections its points are in, with
    what its answer would raise: one line per point, as on screen and in the PDF."""
    if not groups:
        return []
    lines = ["", "## " + _(FIND_OUT_HEADING), "", md_escape(_(FIND_OUT_INTRO))]
    for item_id, entries in groups.items():
        question = md_escape(checklist.question(item_id))
        heading = _("Find out: {question}").format(question=question)
        lines += ["", f"**{heading}** (`{item_id}`)", ""]
        for entry in entries:
            lines.append(f"- [{'x' if entry.done else ' '}] {md_escape(entry_headline(entry))}")
            if entry.note and entry.note.strip():
                lines.append("  - " + _("Note: {note}").format(note=md_escape(entry.note)))
            because = md_escape(answers_behind(checklist, entry))
            lines.append("  - " + _("Because: {answers}").format(answers=because))
            lines.append(f"  - {_rule_line(entry)}")
        said = group_statements(entries)
        if said:  # under the question, once for its points: not one point's own
            lines += [""] + [f"> {md_escape(statement_text(s))}" for s in said]
    return lines


def _rule_line(entry: Entry) -> str:
    return _("Rule {rule} ({kind}); sources: {sources}").format(
        rule=f"`{entry.rule_id}`", kind=entry.kind, sources=", ".join(s.id for s in entry.sources)
    )


def _entry_markdown(checklist: Checklist, entry: Entry) -> list[str]:
    text = entry_text(entry, checklist.label)
    lines = [f"- [{'x' if entry.done else ' '}] {md_escape(text)}"]
    lines += [f"  - {md_escape(statement_text(s))}" for s in entry.source_says]
    if entry.note and entry.note.strip():
        lines.append("  - " + _("Note: {note}").format(note=md_escape(entry.note)))
    because = md_escape(answers_behind(checklist, entry))
    lines.append("  - " + _("Because: {answers}").format(answers=because))
    lines.append(f"  - {_rule_line(entry)}")
    lines.append(
        "  - " + _("Why it matters: {rationale}").format(rationale=md_escape(entry.rationale))
    )
    return lines
