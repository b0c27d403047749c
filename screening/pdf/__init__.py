"""The checklist as a PDF that can be filed, printed, and re-checked against its rule pack later.

Built with fpdf2, a well-kept pure-Python library, because it has what this document needs and
little else: TrueType Unicode fonts with per-glyph fallback fonts, font subsetting, speed, a
small drawing API, bookmarks, and embedded file attachments, which carry the answers and the
checklist as JSON so that `verify` can re-evaluate them. Reading a PDF back uses pypdf.

- `contract`: every word the pages print around the data, per record format, as data;
- `fonts`: each font read once per process; each document embeds a subset cut from it;
- `layout`: draws a checklist on A4 pages (fallback fonts loaded only when text needs them);
- `record`: the embedded record, read strictly, and `checklist_pdf`, which writes the file;
- `structure`: what a file may hold besides page text (exactly what the writer writes);
- `pages`: reads the pages of a file another release made, by their text, against its format;
- `drawing`: what a file draws, as data to compare (fonts by their glyphs, not their bytes);
- `signing`: PAdES signatures with pyHanko, and what `verify` reports of one;
- `verify`: re-checks a file against its record, its signature and the current rule pack;
- `outcome`: what `verify` found, as the lines it prints and its exit code.
"""

from screening.canonical import checklist_digest
from screening.pdf.contract import FOOTER_TEXT
from screening.pdf.record import GENERATOR, RECORD_NAME, PdfRecord, checklist_pdf
from screening.pdf.verify import VerifyResult, pack_for_verifying, verify_pdf

__all__ = [
    "FOOTER_TEXT",
    "GENERATOR",
    "RECORD_NAME",
    "PdfRecord",
    "VerifyResult",
    "checklist_digest",
    "checklist_pdf",
    "pack_for_verifying",
    "verify_pdf",
]
