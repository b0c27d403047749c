"""Text exports of a checklist: JSON (the public machine shape) and Markdown (for people)."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from functools import partial

from screening.canonical import canonical_sha256, checklist_digest
from screening.citations import source_markdown
from screening.markdown import md_escape
from screening.models import AnswersFile, Checklist
from screening.statements import (
    ABSENT_POINT_NOTE,
    OPEN_POINT_NOTE,
    OPEN_STATEMENTS_HEADING,
    OPEN_STATEMENTS_INTRO,
    STATEMENTS_HEADING,
    STATEMENTS_INTRO,
    statement_text,
)
from screening.words import STATUS_WARNINGS, answers_behind, by_section

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
    """The checklist as JSON: same checklist, same bytes (fixed key order, no timestamps)."""
    return json.dumps(checklist.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def checklist_markdown(checklist: Checklist) -> str:
    """A readable checklist: entries by section, each with its reasons and sources; from the
    checklist alone."""
    rs = checklist.rule_set
    lines = [
        "# Ketamine for pain: discussion checklist",
        "",
        f"> {checklist.disclaimer}",
        "",
    ]
    # Pasted into a record without the app or the PDF, the file still says it is a draft.
    warning = next((w for status, w in STATUS_WARNINGS.items() if status == rs.status), None)
    if warning is not None:
        lines += [f"> **{warning}**", ""]
    lines += [
        f"- Rule pack: {md_escape(rs.name)}, version {md_escape(rs.version)} ({rs.status})",
        f"- Rule pack sha256: `{rs.sha256}`",
    ]
    details = [
        ("Patient reference", checklist.patient_reference),
        ("Clinician", checklist.clinician),
        ("Date", checklist.date),
    ]
    lines += [f"- {name}: {md_escape(value)}" for name, value in details if value]
    if not checklist.entries:
        lines += ["", "No points were raised by these answers."]
    lines += ["", md_escape(ABSENT_POINT_NOTE)]
    if checklist.not_assessed or any(e.open_items for e in checklist.entries):
        lines += ["", md_escape(OPEN_POINT_NOTE)]
    if checklist.statements or checklist.open_statements:
        lines += ["", f"## {STATEMENTS_HEADING}", "", md_escape(STATEMENTS_INTRO)]
    if checklist.statements:
        lines += [""] + [f"- {md_escape(statement_text(s))}" for s in checklist.statements]
    if checklist.open_statements:
        lines += ["", f"**{md_escape(OPEN_STATEMENTS_HEADING)}**", ""]
        lines += [md_escape(OPEN_STATEMENTS_INTRO), ""]
        lines += [f"- {md_escape(statement_text(s))}" for s in checklist.open_statements]
    for section, entries in by_section(checklist.entries, lambda e: e.section).items():
        lines += ["", f"## {md_escape(section)}", ""]
        for entry in entries:
            lines.append(f"- [{'x' if entry.done else ' '}] {md_escape(entry.text)}")
            lines += [f"  - {md_escape(statement_text(s))}" for s in entry.source_says]
            if entry.note and entry.note.strip():
                lines.append(f"  - Note: {md_escape(entry.note)}")
            lines.append(f"  - Because: {md_escape(answers_behind(checklist, entry))}")
            lines.append(
                f"  - Rule `{entry.rule_id}` ({entry.kind}); "
                f"sources: {', '.join(s.id for s in entry.sources)}"
            )
            lines.append(f"  - Why it matters: {md_escape(entry.rationale)}")
    if checklist.not_assessed:
        lines += ["", "## Not assessed", ""]
        lines += [f"- {md_escape(checklist.label(i))} (`{i}`)" for i in checklist.not_assessed]
    if checklist.cited:
        lines += ["", "## Sources", ""]
        lines += [f"- **{s.id}**: {source_markdown(s, full=True)}" for s in checklist.cited]
    return "\n".join(lines) + "\n"
