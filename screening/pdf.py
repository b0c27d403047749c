"""The checklist as a PDF that can be filed, printed, and re-checked against its rule pack later.

Built with fpdf2, a well-kept pure-Python library, because it has what this document needs and
little else: TrueType Unicode fonts with per-glyph fallback fonts (`set_fallback_fonts`), so any
name a user types prints with the shipped DejaVu and Droid fonts; font subsetting, so files stay
small; speed (the default checklist in about 125 ms, see bench/pdf.py); a small drawing API;
and embedded file attachments (`embed_file`), which carry the answers and the checklist as JSON
so that `verify` can re-evaluate them. Reading a PDF back uses pypdf.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError
from pypdf import PdfReader

from screening import __version__
from screening.engine import evaluate
from screening.errors import AnswersError, ExportError, Problem
from screening.models import AnswersFile, Checklist, RulePack, RuleSetRef
from screening.pdf_layout import FOOTER_TEXT, draw_checklist

__all__ = [
    "FOOTER_TEXT",
    "GENERATOR",
    "RECORD_NAME",
    "PdfRecord",
    "VerifyResult",
    "checklist_digest",
    "checklist_pdf",
    "verify_pdf",
]

RECORD_NAME = "screening-record.json"
"""File name of the embedded record, as PDF readers list it."""

RECORD_FORMAT = "ketamine-screening-checklist-record"
GENERATOR = f"screening {__version__}"
"""Recorded in each PDF; pages are compared with a fresh rendering only under the same one."""
UNDATED = datetime(1970, 1, 1, tzinfo=UTC)
"""Creation date of a PDF whose answers carry no date: fixed, so the bytes stay reproducible."""


class PdfRecord(BaseModel):
    """What the PDF embeds: enough to re-evaluate the answers and compare the checklist."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["ketamine-screening-checklist-record"]
    format_version: Literal[1]
    generator: str
    rule_set: RuleSetRef
    answers: AnswersFile
    checklist: Checklist
    checklist_sha256: str


@dataclass(frozen=True)
class VerifyResult:
    """Whether re-evaluating a PDF's embedded answers with the current pack gives its checklist.

    Rule ids list how today's checklist differs from the one in the file; all empty and
    `same_checklist` true when only the pack's hash differs.
    """

    source: str
    produced_by: RuleSetRef
    current: RuleSetRef
    same_checklist: bool
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    answers_problem: str | None = None
    pages_compared: bool = False
    made_by: str = GENERATOR

    @property
    def matches(self) -> bool:
        """Same pack, same checklist: the file is what these rules make of these answers."""
        return self.produced_by.sha256 == self.current.sha256 and self.same_checklist

    def lines(self) -> list[str]:
        """The result in words, for the command line and the app."""
        made = _pack_words(self.produced_by)
        if self.matches:
            ok = [
                f"OK: {self.source}: the checklist matches: re-evaluating the embedded answers "
                f"with {made} gives the same checklist."
            ]
            if not self.pages_compared:
                ok.append(f"  the pages were not compared: made by {self.made_by}, not {GENERATOR}")
            return ok
        lines = [
            f"{self.source}: the rule pack has changed since this PDF was made.",
            f"  made with: {made}",
            f"  current:   {_pack_words(self.current)}",
        ]
        if self.answers_problem is not None:
            lines.append(
                f"  the embedded answers do not fit the current pack: {self.answers_problem}"
            )
        elif self.same_checklist:
            lines.append("  re-evaluated with the current pack, the checklist is the same.")
        else:
            lines.append("  re-evaluated with the current pack, the checklist differs:")
            for what, ids in (
                ("new entries", self.added),
                ("entries gone", self.removed),
                ("entries changed", self.changed),
            ):
                if ids:
                    lines.append(f"    {what}: {', '.join(ids)}")
            if not (self.added or self.removed or self.changed):
                lines.append("    the items not assessed differ")
        return lines


def _pack_words(rs: RuleSetRef) -> str:
    return f"{rs.name} {rs.version} (sha256 {rs.sha256})"


def checklist_digest(checklist: Checklist) -> str:
    """sha256 of the checklist's canonical JSON: printed in the PDF and kept in its record."""
    canonical = json.dumps(
        checklist.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=True
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _creation_date(answers: AnswersFile, source: str) -> datetime:
    """Midnight UTC of the answers' date, which `AnswersFile` has checked is YYYY-MM-DD."""
    if answers.date is None:
        return UNDATED
    day = date.fromisoformat(answers.date)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def checklist_pdf(
    pack: RulePack, answers: AnswersFile, checklist: Checklist, *, source: str = "answers"
) -> bytes:
    """The checklist as PDF bytes, with its record embedded; the same inputs give the same bytes.

    `answers.date` is printed and fixes the PDF's creation date; raises `ExportError` naming
    `source` when the date is not YYYY-MM-DD or the checklist came from another pack.
    """
    created = _creation_date(answers, source)
    if checklist.rule_set.sha256 != pack.sha256:
        message = "the checklist was made with a different rule pack than the one given"
        raise ExportError([Problem(source, message)])
    fingerprint = checklist_digest(checklist)
    record = PdfRecord(
        format=RECORD_FORMAT,
        format_version=1,
        generator=GENERATOR,
        rule_set=checklist.rule_set,
        answers=answers,
        checklist=checklist,
        checklist_sha256=fingerprint,
    )
    doc = draw_checklist(
        pack,
        answers,
        checklist,
        date_text=answers.date or "not given",
        record_name=RECORD_NAME,
        fingerprint=fingerprint,
        generator=GENERATOR,
    )
    doc.set_creation_date(created)
    doc.embed_file(
        bytes=(json.dumps(record.model_dump(mode="json"), indent=2) + "\n").encode("ascii"),
        basename=RECORD_NAME,
        desc="Answers and discussion checklist, with the rule pack's name, version and sha256",
        mime_type="application/json",
        creation_date=created,
        modification_date=created,
        compress=True,
    )
    return bytes(doc.output())


def verify_pdf(pdf_bytes: bytes, pack: RulePack, source: str) -> VerifyResult:
    """Re-evaluate a PDF's embedded answers with `pack` and compare with its checklist.

    Raises `ExportError` naming `source` for anything that is not an intact checklist PDF:
    not a PDF, unreadable, no record, or a record that disagrees with itself or its pages.
    Under the same pack and program version, the pages must read exactly as a fresh
    rendering of the embedded answers does, so an edit to the visible text is caught too.
    """
    record, page_texts = _read_record(pdf_bytes, source)
    claimed = record.checklist
    if checklist_digest(claimed) != record.checklist_sha256 or record.rule_set != claimed.rule_set:
        raise _altered(source, "the embedded checklist does not match its recorded hash")
    if record.checklist_sha256 not in re.sub(r"\s+", "", "".join(page_texts)):
        raise _altered(source, "the printed pages do not carry the embedded checklist's hash")
    same_pack = record.rule_set.sha256 == pack.sha256
    try:
        today = evaluate(pack, record.answers, f"{source} (embedded answers)")
    except AnswersError as exc:
        if same_pack:
            raise _altered(
                source, "the embedded answers do not fit the pack that made them"
            ) from None
        return VerifyResult(
            source=source,
            produced_by=record.rule_set,
            current=_rule_set_of(pack),
            same_checklist=False,
            answers_problem=str(exc.problems[0]),
            made_by=record.generator,
        )
    old = {e.rule_id: e for e in claimed.entries}
    new = {e.rule_id: e for e in today.entries}
    same = (claimed.entries, claimed.not_assessed, claimed.patient_reference) == (
        today.entries,
        today.not_assessed,
        today.patient_reference,
    )
    if same_pack and not same:
        raise _altered(source, "the embedded answers do not give the embedded checklist")
    pages_compared = same_pack and record.generator == GENERATOR
    if pages_compared:
        _compare_pages(pdf_bytes, page_texts, pack, record, source)
    return VerifyResult(
        source=source,
        produced_by=record.rule_set,
        current=today.rule_set,
        same_checklist=same,
        added=tuple(r for r in new if r not in old),
        removed=tuple(r for r in old if r not in new),
        changed=tuple(r for r in new if r in old and new[r] != old[r]),
        pages_compared=pages_compared,
        made_by=record.generator,
    )


def _rule_set_of(pack: RulePack) -> RuleSetRef:
    meta = pack.meta
    return RuleSetRef(name=meta.name, version=meta.version, status=meta.status, sha256=pack.sha256)


def _compare_pages(
    pdf_bytes: bytes, page_texts: list[str], pack: RulePack, record: PdfRecord, source: str
) -> None:
    """Render the record again and compare: same bytes, or at least the same text on each page."""
    try:
        fresh = checklist_pdf(pack, record.answers, record.checklist, source=source)
    except ExportError:
        raise _altered(
            source, "the embedded answers carry a date this program never writes"
        ) from None
    if fresh != pdf_bytes and _read_pages(fresh) != page_texts:
        raise _altered(source, "the printed pages differ from those these answers give")


def _altered(source: str, why: str) -> ExportError:
    return ExportError([Problem(source, f"{why}: the file has been altered")])


class _QuietPypdf:
    """Silence pypdf's log of repairs to damaged files while reading; the caller says one line.

    Counted under a lock, so overlapping reads in app sessions restore the level exactly once.
    """

    def __init__(self) -> None:
        self._logger = logging.getLogger("pypdf")
        self._lock = threading.Lock()
        self._depth = 0
        self._saved = logging.NOTSET

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._saved = self._logger.level
                self._logger.setLevel(logging.CRITICAL)
            self._depth += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                self._logger.setLevel(self._saved)


_quiet_pypdf = _QuietPypdf()


def _read_pages(pdf_bytes: bytes) -> list[str]:
    with _quiet_pypdf:
        return [page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes)).pages]


def _read_record(pdf_bytes: bytes, source: str) -> tuple[PdfRecord, list[str]]:
    if b"%PDF-" not in pdf_bytes[:1024]:
        raise ExportError([Problem(source, "not a PDF file")])
    try:
        with _quiet_pypdf:
            reader = PdfReader(io.BytesIO(pdf_bytes))
            attachments = dict(reader.attachments)
            page_texts = [page.extract_text() for page in reader.pages]
    except Exception:  # pypdf raises many kinds of error on damaged input; one message fits all
        raise ExportError(
            [Problem(source, "cannot read this PDF: the file is damaged or incomplete")]
        ) from None
    contents = attachments.get(RECORD_NAME, [])
    if not contents:
        raise ExportError(
            [
                Problem(
                    source,
                    f"no embedded checklist record ({RECORD_NAME}): "
                    "only PDFs made by `screening evaluate --format pdf` can be verified",
                )
            ]
        )
    if len(contents) > 1:
        raise _altered(source, f"the PDF holds more than one {RECORD_NAME}")
    try:
        return PdfRecord.model_validate_json(contents[0]), page_texts
    except (ValueError, ValidationError, RecursionError):
        raise _altered(source, "the embedded checklist record is not readable") from None
