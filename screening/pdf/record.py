"""The record a checklist PDF embeds, and the writer that draws the pages and embeds it.

The record (answers, checklist and the rule pack's reference, as JSON) is what `verify` trusts
once the pages are shown to print it; it is read strictly: duplicate keys, wrong types and
unknown fields are refused, never coerced.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from importlib.metadata import version
from typing import Annotated, Any, Literal

from fpdf.output import OutputProducer, PDFInfo
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from screening.canonical import canonical_sha256, checklist_digest
from screening.catalogue import (
    N_,
    SOURCE_LANGUAGE,
    Said,
    _,
    active_language,
    available_languages,
    speaking,
)
from screening.errors import ExportError, Problem
from screening.models import AnswersFile, Checklist, RuleSetRef
from screening.pdf.contract import CURRENT_FORMAT
from screening.pdf.document import ChecklistDocument
from screening.pdf.layout import draw_checklist
from screening.text import DuplicateKeyError, echo, one_line, strict_json
from screening.version import __version__

RECORD_NAME = "screening-record.json"
"""File name of the embedded record, as PDF readers list it."""

RECORD_FORMAT = "ketamine-screening-checklist-record"
GENERATOR = f"screening {__version__}"
"""Recorded in each PDF; a file this very program made is rendered again and compared whole."""
FORMAT_VERSION = CURRENT_FORMAT
RELEASES: dict[str, int] = {
    "screening 0.1.0": 1,
    "screening 0.2.0": 2,
    "screening 0.3.0": 3,
    GENERATOR: FORMAT_VERSION,
}
"""Every release whose files `verify` reads, exactly as its record names it, with the record
format it writes: a `generator` that only prints like one of these is refused."""

DRAWING_LIBRARIES = ("fpdf2", "fonttools")
"""The libraries whose releases decide a page's bytes: fpdf2 draws, fonttools subsets fonts."""

PINNED_LIBRARIES: dict[str, dict[str, str]] = {
    "screening 0.3.0": {"fpdf2": "2.8.9", "fonttools": "4.68.0"},
}
"""What a release's constraints.txt pinned, for its files written before records named the
libraries that drew them."""
UNDATED = datetime(1970, 1, 1, tzinfo=UTC)
"""What fpdf2 derives the file's /ID from when the answers carry no date: fixed, so the bytes
stay reproducible. It is written nowhere: such a PDF has no creation date (`_Undated`)."""


class _Undated(OutputProducer):
    """fpdf2's writer, leaving the creation date out of the document information of a PDF whose
    answers carry no date: a reader would show 1970. (fpdf2 2.8.9 formats the date it holds
    unconditionally, and cannot hold none.)"""

    def _add_info(self) -> PDFInfo:
        info = super()._add_info()
        info.creation_date = None  # type: ignore[assignment]  # None: left out when written
        return info


class PdfRecord(BaseModel):
    """What the PDF embeds: enough to re-evaluate the answers and compare the checklist."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["ketamine-screening-checklist-record"]
    format_version: Literal[1, 2, 3, 4]
    generator: str
    rule_set: RuleSetRef
    answers: AnswersFile
    checklist: Checklist
    checklist_sha256: str
    libraries: Annotated[dict[str, str], Field(max_length=len(DRAWING_LIBRARIES))] | None = None
    """The release of each library that drew the pages (`DRAWING_LIBRARIES`); absent from
    the files of releases up to 0.3.0 that were made before records held it."""
    language: Annotated[str, Field(max_length=35)] | None = None
    """The language of the program's words on the pages (a catalogue's tag, such as en-XA);
    absent for English, as in every record written before it, so `verify` draws and reads
    the pages again in the language they were made in."""


def installed_libraries() -> dict[str, str]:
    """The release of each drawing library installed here, as a record names them."""
    return {name: version(name) for name in DRAWING_LIBRARIES}


def libraries_of(record: PdfRecord) -> dict[str, str]:
    """The libraries that drew a file: as its record names them, else as its release pinned."""
    if record.libraries is not None:
        return record.libraries
    return PINNED_LIBRARIES.get(record.generator, {})


def digest(data: Any) -> str:
    """sha256 of JSON data in canonical form; verify hashes the record's checklist as stored,
    so fields a later release adds to `Checklist` do not change an older file's hash."""
    return canonical_sha256(data)


def _creation_date(answers: AnswersFile) -> datetime | None:
    """Midnight UTC of the answers' date, which `AnswersFile` has checked is YYYY-MM-DD."""
    if answers.date is None:
        return None
    day = date.fromisoformat(answers.date)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def checklist_pdf(checklist: Checklist) -> bytes:
    """The checklist as PDF bytes, with its record embedded; the same checklist gives the same
    bytes. From the checklist alone: the record's answers are those it was made from
    (`Checklist.answers_file`), and its date fixes the PDF's creation date (none without one)."""
    answers = checklist.answers_file()
    return _output(_document(answers, checklist, GENERATOR, installed_libraries()), answers)


def _output(doc: ChecklistDocument, answers: AnswersFile) -> bytes:
    """The document's bytes, with no creation date when the answers carry none."""
    if _creation_date(answers) is None:
        return bytes(doc.output(output_producer_class=_Undated))
    return bytes(doc.output())


def _document(
    answers: AnswersFile,
    checklist: Checklist,
    generator: str,
    libraries: dict[str, str] | None,
) -> ChecklistDocument:
    """The document drawn and its record embedded, in the language of the render."""
    language = active_language()
    created = _creation_date(answers)
    fingerprint = checklist_digest(checklist)
    record = PdfRecord(
        format=RECORD_FORMAT,
        format_version=FORMAT_VERSION,
        generator=generator,
        rule_set=checklist.rule_set,
        answers=answers,
        checklist=checklist,
        checklist_sha256=fingerprint,
        libraries=libraries,
        language=None if language == SOURCE_LANGUAGE else language,
    )
    doc = draw_checklist(
        answers,
        checklist,
        record_name=RECORD_NAME,
        fingerprint=fingerprint,
        generator=generator,
    )
    doc.set_creation_date(UNDATED if created is None else created)
    doc.embed_file(
        bytes=_record_json(record),
        basename=RECORD_NAME,
        desc="Answers and discussion checklist, with the rule pack's name, version and sha256",
        mime_type="application/json",
        creation_date=created,
        modification_date=created,
        compress=True,
    )
    return doc


def _record_json(record: PdfRecord) -> bytes:
    """The record as embedded; a record without `libraries` or `language` is written as before
    they existed."""
    left_out = {name for name in ("libraries", "language") if getattr(record, name) is None}
    data = record.model_dump(mode="json", exclude=left_out)
    return (json.dumps(data, indent=2) + "\n").encode("ascii")


def read_record(data: bytes, source: str) -> tuple[PdfRecord, Any]:
    """The record, and its checklist as stored (for the hash); `ExportError` if unreadable."""
    try:
        loaded = strict_json(data)
    except DuplicateKeyError as exc:
        why = Said(N_("the embedded record repeats the key {key}"), key=repr(echo(exc.key)))
        raise altered(source, why) from None
    except (ValueError, RecursionError):
        raise altered(source, Said(_NOT_READABLE)) from None
    if not isinstance(loaded, dict):
        raise altered(source, Said(_NOT_READABLE))
    if _newer_format(loaded):
        message = Said(
            N_(
                "the embedded record is format version {version}, newer than this program "
                "reads ({ours}): it cannot be checked; verify it with the release that made it "
                "or a later one"
            ),
            version=str(loaded["format_version"]),
            ours=str(FORMAT_VERSION),
        )
        raise ExportError([Problem(source, message)])
    try:
        record = PdfRecord.model_validate_json(data, strict=True)
    except ValidationError as exc:
        raise _unreadable(source, exc) from None
    if record.language is not None and record.language not in available_languages():
        message = Said(
            N_(
                "the pages are in a language this program has no catalogue for ({language}): "
                "they cannot be checked"
            ),
            language=shown(record.language),
        )
        raise ExportError([Problem(source, message)])
    return record, loaded["checklist"]


def _unreadable(source: str, exc: ValidationError) -> ExportError:
    """Answers longer than this release accepts may come from an earlier one: not checkable,
    but not proof of an alteration either."""
    errors = exc.errors()
    if errors and all(e["type"] == "string_too_long" and e["loc"][0] == "answers" for e in errors):
        field = str(errors[0]["loc"][-1]).replace("_", " ")
        limit = (errors[0].get("ctx") or {}).get("max_length")
        message = Said(
            N_(
                "the embedded {field} is longer than this program accepts ({limit} "
                "characters), so the file cannot be checked"
            ),
            field=field,
            limit=str(limit),
        )
        return ExportError([Problem(source, message)])
    return altered(source, Said(_NOT_READABLE))


def _newer_format(data: dict[str, Any]) -> bool:
    version = data.get("format_version")
    return (
        data.get("format") == RECORD_FORMAT
        and isinstance(version, int)
        and not isinstance(version, bool)
        and version > FORMAT_VERSION
    )


_NOT_READABLE = N_("the embedded checklist record is not readable")


def altered(source: str, why: str) -> ExportError:
    """The refusal of a file whose `why` (a `Said`, to be worded in each render) shows it
    was changed after it was written."""
    return ExportError([Problem(source, Said(N_("{why}: the file has been altered"), why=why))])


def render(record: PdfRecord) -> bytes:
    """The PDF this program writes for `record`, in its language, for `verify` to compare a
    file with."""
    with speaking(record.language or SOURCE_LANGUAGE):  # the file's, never the command's
        document = _document(record.answers, record.checklist, record.generator, record.libraries)
        return _output(document, record.answers)


def shown(text: str) -> str:
    """Text from the file on one line, shortened, as every message quotes it."""
    return one_line(text)


def listed(ids: list[str], most: int = 10) -> str:
    """Ids in a message, the first `most` named and the rest counted."""
    text = ", ".join(ids[:most])
    more = _(" and {n} more").format(n=len(ids) - most) if len(ids) > most else ""
    return text + more
