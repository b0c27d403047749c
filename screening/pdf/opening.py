"""Opening a PDF to verify it: its structure checked and its record read, with pypdf's log of
repairs kept quiet; a file that cannot be read is refused in one line."""

from __future__ import annotations

import io
import logging
import threading
from typing import Any

from pypdf import PdfReader

from screening.catalogue import N_, Said
from screening.errors import ExportError, Problem
from screening.pdf.record import RECORD_NAME, PdfRecord, altered, read_record
from screening.pdf.structure import structure_problems

DAMAGED = N_("cannot read this PDF: the file is damaged or incomplete")


class QuietPypdf:
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


quiet_pypdf = QuietPypdf()
"""The one silencer every read of a file to verify shares."""


def open_checked(pdf_bytes: bytes, source: str) -> tuple[PdfReader, PdfRecord, Any]:
    """The parsed file, after its structure is checked, with its record and the record's
    checklist as stored (for the hash)."""
    if b"%PDF-" not in pdf_bytes[:1024]:
        raise ExportError([Problem(source, Said(N_("not a PDF file")))])
    try:
        with quiet_pypdf:
            reader = PdfReader(io.BytesIO(pdf_bytes))
            attachments = dict(reader.attachments)
            problems = structure_problems(reader, pdf_bytes, RECORD_NAME)
    except Exception:  # pypdf raises many kinds of error on damaged input; one message fits all
        raise ExportError([Problem(source, Said(DAMAGED))]) from None
    contents = attachments.get(RECORD_NAME, [])
    if not contents and not problems:
        raise ExportError(
            [
                Problem(
                    source,
                    Said(
                        N_(
                            "no embedded checklist record ({name}): only PDFs made by {command} "
                            "can be verified"
                        ),
                        name=RECORD_NAME,
                        command="`screening evaluate --format pdf`",
                    ),
                )
            ]
        )
    if len(contents) > 1:
        problems.append(Said(N_("the PDF holds more than one {name}"), name=RECORD_NAME))
    if problems:
        raise ExportError([altered(source, problem).problems[0] for problem in problems])
    record, stored = read_record(contents[0], source)
    return reader, record, stored


def page_texts(reader: PdfReader, source: str) -> list[str]:
    """The text of every page, as pypdf reads it."""
    try:
        with quiet_pypdf:
            return [page.extract_text() for page in reader.pages]
    except Exception:  # as in `open_checked`: damaged content streams raise many kinds of error
        raise ExportError([Problem(source, Said(DAMAGED))]) from None
