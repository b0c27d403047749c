"""Signed checklist PDFs (PAdES, with pyHanko): what only a signature proves.

`sign` appends one signature to a checklist PDF as an incremental update, signed with a
PKCS#12 identity (certificate and key). The signature covers the whole file, the embedded
record included, and its visible stamp names the signer on the last page. Nothing reaches
the network: no timestamp authority is asked and no certificate status is fetched.

`signed_part` is what `verify` reads first: for a signed file, the report on its signature
(valid or not, who signed, when, whether anything changed after signing, and whether the
signer's certificate chains to one the caller trusts) and the file as it was before it was
signed, which `verify` then checks as any checklist PDF. A signature that does not match
the bytes, or that does not cover the whole file, is a refusal: the file has been altered.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from asn1crypto import pem, x509  # type: ignore[import-untyped]  # no types
from cryptography.utils import CryptographyDeprecationWarning
from pypdf import PdfReader

from screening.catalogue import N_, Said, _
from screening.errors import ExportError, Problem
from screening.limits import MAX_CREDENTIAL_BYTES
from screening.models import Checklist
from screening.pdf.drawing import page_drawings
from screening.pdf.record import altered, checklist_pdf
from screening.reading import read_bounded
from screening.text import echo

with warnings.catch_warnings():
    # pyHanko imports DSA support, which cryptography deprecates, on every run
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko.stamp import TextStampStyle
    from pyhanko_certvalidator import ValidationContext

FIELD_NAME = "ChecklistSignature"
STAMP_SIZE = (255, 44)
"""The signature stamp's width and height in points; it sits at the left margin, below the
last line of the last page (above the footer), or on a page of its own after it when the
last page has no room."""
LEFT_MARGIN = 51
FOOTER_TOP = 50
"""Nothing but the footer is drawn below this height (points from the page's foot)."""
STAMP_TEXT = "Signed by %(signer)s\n%(ts)s"
PASSWORD_ENV = "SCREENING_SIGNING_PASSWORD"
"""The environment variable `evaluate --sign` reads the identity's password from (else it
asks for it); never an argument, which other users can see in the process list."""

Identity = signers.SimpleSigner
"""A signing identity: a certificate and its private key, loaded from PKCS#12."""


@dataclass(frozen=True)
class SignatureReport:
    """What a file's one signature says, once its bytes are shown to match it."""

    signer: str
    signed_at: datetime | None
    timestamped_at: datetime | None
    trusted: bool | None
    """None when no certificates to trust were given."""

    def lines(self) -> list[str]:
        when = self.signed_at.isoformat() if self.signed_at else _("no signing time given")
        lines = [
            _(
                "  signed by {signer}, at {when} as the signer's machine claims; nothing changed "
                "after signing"
            ).format(signer=self.signer, when=when)
        ]
        if self.timestamped_at is not None:
            lines.append(_("  timestamped at {when}").format(when=self.timestamped_at.isoformat()))
        if self.trusted is None:
            lines.append(_("  the signer's certificate is not checked: give --trust CERTS.pem"))
        elif self.trusted:
            lines.append(_("  the signer's certificate chains to one of the certificates trusted"))
        else:
            lines.append(
                _(
                    "  the signer's certificate does NOT chain to a certificate trusted "
                    "(--trust): who signed is not vouched for"
                )
            )
        return lines


def load_identity(p12: bytes, password: bytes, source: str) -> signers.SimpleSigner:
    """The signing identity in PKCS#12 data; `ExportError` if it cannot be opened."""
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(p12, other_certs=[], passphrase=password)
    except (ValueError, TypeError):
        signer = None
    if not isinstance(signer, signers.SimpleSigner):
        raise _refused(
            source, N_("cannot open this PKCS#12 identity: wrong password, or not a PKCS#12 file")
        )
    return signer


def server_identity(path: str | None) -> Identity | None:
    """A server's configured signing identity (a PKCS#12 file the clinic placed there), its
    password from `PASSWORD_ENV`; None when no path is configured. Read, never written."""
    if not path:
        return None
    data = read_bounded(Path(path), MAX_CREDENTIAL_BYTES, path)
    return load_identity(data, os.environ.get(PASSWORD_ENV, "").encode(), path)


def signed_checklist_pdf(checklist: Checklist, identity: Identity | None) -> bytes:
    """`checklist_pdf`, signed with `identity` when there is one."""
    pdf = checklist_pdf(checklist)
    return sign(pdf, identity) if identity is not None else pdf


def timestamp_authority(url: str) -> TimeStamper:
    """A timestamp authority (RFC 3161) at `url`, asked while signing: it is sent a hash of
    the signature, nothing of the file, and its signed time is kept in the signature."""
    return HTTPTimeStamper(url, https=url.startswith("https://"), timeout=10)


def sign(
    pdf: bytes, identity: signers.SimpleSigner, timestamper: TimeStamper | None = None
) -> bytes:
    """The PDF with one PAdES signature over all of it, its stamp on the last page, and the
    time from `timestamper` where one is given."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    last, box = _stamp_place(writer, pdf)
    spec = fields.SigFieldSpec(FIELD_NAME, on_page=last, box=box)
    stamp = TextStampStyle(stamp_text=STAMP_TEXT, border_width=1)
    pdf_signer = signers.PdfSigner(
        metadata,
        signer=identity,
        stamp_style=stamp,
        new_field_spec=spec,
        timestamper=timestamper,
    )
    out = io.BytesIO()
    try:
        _outside_event_loop(lambda: pdf_signer.sign_pdf(writer, output=out))
    except TimestampRequestError as exc:
        raise _refused(
            "--timestamp-url",
            N_("the timestamp authority did not give a timestamp, so nothing was signed: {reason}"),
            reason=echo(str(exc)),
        ) from None
    return out.getvalue()


def _stamp_place(
    writer: IncrementalPdfFileWriter, pdf: bytes
) -> tuple[int, tuple[int, int, int, int]]:
    """The page (0-based) and box for the stamp: below the last page's lowest line if it
    fits there, else on a blank A4 page added after it."""
    last = int(writer.root["/Pages"]["/Count"]) - 1
    width, height = STAMP_SIZE
    heights: list[float] = []

    def seen(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if text.strip() and float(tm[5]) > FOOTER_TOP:
            heights.append(float(tm[5]))

    PdfReader(io.BytesIO(pdf)).pages[last].extract_text(visitor_text=seen)
    top = int(min(heights, default=842.0)) - 16
    if top - height >= FOOTER_TOP:
        return last, (LEFT_MARGIN, top - height, LEFT_MARGIN + width, top)
    pdf_objects: Any = generic  # pyHanko's object constructors are untyped
    page = pdf_objects.DictionaryObject(
        {
            pdf_objects.pdf_name("/Type"): pdf_objects.pdf_name("/Page"),
            pdf_objects.pdf_name("/MediaBox"): pdf_objects.ArrayObject(
                [pdf_objects.FloatObject(v) for v in (0, 0, 595.28, 841.89)]
            ),
            pdf_objects.pdf_name("/Resources"): pdf_objects.DictionaryObject(),
        }
    )
    untyped: Any = writer
    untyped.insert_page(page)
    return last + 1, (LEFT_MARGIN, 700, LEFT_MARGIN + width, 700 + height)


def load_trust(data: bytes, source: str) -> list[x509.Certificate]:
    """The certificates in PEM data (or one DER certificate); `ExportError` if none."""
    try:
        blocks = (
            [der for _, _, der in pem.unarmor(data, multiple=True)] if pem.detect(data) else [data]
        )
        certs = [x509.Certificate.load(der) for der in blocks]
        for cert in certs:
            _ = cert.subject.human_friendly
    except (ValueError, TypeError):
        certs = []
    if not certs:
        raise _refused(source, N_("no certificate to trust can be read from this file"))
    return certs


def signed_part(
    data: bytes, source: str, trust: list[x509.Certificate] | None
) -> tuple[SignatureReport | None, bytes]:
    """For a signed file, the report on its signature and the file as it was signed over;
    for another, None and the file. `ExportError` when the signature does not hold."""
    if b"/ByteRange" not in data:
        return None, data
    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=True).embedded_signatures
    except Exception:  # pyHanko raises many kinds of error on damaged input; one message fits
        raise _refused(
            source, N_("cannot read this PDF's signature: the file is damaged")
        ) from None
    if not signatures:
        return None, data
    if len(signatures) > 1:
        raise _refused(
            source,
            N_("the file holds {count} signatures; this program signs once"),
            count=str(len(signatures)),
        )
    report = _report(signatures[0], source, trust)
    before = _before_signing(data)
    problem = _signing_revision_problem(before, data)
    if problem is not None:
        raise altered(source, problem)
    return report, before


SIGNING_ADDS = {"/AcroForm", "/Metadata", "/Extensions", "/Version"}
"""What signing adds to the document catalog: the signature's form, and the XMP metadata and
PDF version (with its extensions) that pyHanko declares."""


def _signing_revision_problem(before: bytes, after: bytes) -> Said | None:
    """What the signing revision adds besides the signature and its stamp, if anything: the
    pages must draw what they drew (a page for the stamp alone may follow them), the only
    annotation is the signature's, and the document gains only its form."""
    try:
        old, new = PdfReader(io.BytesIO(before)), PdfReader(io.BytesIO(after))
        old_pages, new_pages = page_drawings(old), page_drawings(new)
        annotations = [_annotation_kinds(page) for page in new.pages]
        old_root: Any = old.trailer["/Root"]
        new_root: Any = new.trailer["/Root"]
        added = set(new_root) - set(old_root)
    except Exception:  # a damaged object surfaces only when read; one message fits all
        return Said(N_("the signed file cannot be read in full"))
    extra_pages = (len(new_pages) - len(old_pages)) // 2
    if new_pages[: len(old_pages)] != old_pages or extra_pages not in (0, 1):
        return Said(N_("the signature's revision changes what the pages draw"))
    if extra_pages and new.pages[-1].get("/Contents") is not None:
        return Said(N_("the signature's revision adds a page that draws more than the stamp"))
    if sorted(kind for kinds in annotations for kind in kinds) != ["/Sig"] or added - SIGNING_ADDS:
        return Said(N_("the signature's revision adds more than the signature"))
    return None


def _annotation_kinds(page: Any) -> list[str]:
    """The field type of each annotation on a page (a signature's is /Sig)."""
    kinds = []
    for annotation in page.get("/Annots") or []:
        item = annotation.get_object()
        kinds.append(str(item.get("/FT")) if item.get("/Subtype") == "/Widget" else "other")
    return kinds


def _report(
    signature: object, source: str, trust: list[x509.Certificate] | None
) -> SignatureReport:
    context = ValidationContext(trust_roots=trust or [], allow_fetching=False)
    logger = logging.getLogger("pyhanko")
    level = logger.level
    logger.setLevel(logging.CRITICAL)  # an untrusted path is logged with a traceback
    try:
        status = _outside_event_loop(
            lambda: validate_pdf_signature(signature, context)  # type: ignore[arg-type]
        )
    except Exception:  # a damaged signature container raises many kinds of error
        raise altered(source, Said(N_("the signature cannot be read"))) from None
    finally:
        logger.setLevel(level)
    if not (status.intact and status.valid):
        raise altered(source, Said(N_("the signature does not match the file's bytes")))
    if (
        status.coverage != SignatureCoverageLevel.ENTIRE_FILE
        or status.modification_level != ModificationLevel.NONE
    ):
        raise altered(source, Said(N_("the file was changed after it was signed")))
    timestamp = status.timestamp_validity
    return SignatureReport(
        signer=status.signing_cert.subject.human_friendly,
        signed_at=status.signer_reported_dt,
        timestamped_at=timestamp.timestamp if timestamp is not None else None,
        trusted=status.trusted if trust else None,
    )


def _before_signing(data: bytes) -> bytes:
    """The file's first revision: up to its first end-of-file marker and line break."""
    end = data.find(b"%%EOF") + len(b"%%EOF")
    for line_break in (b"\r\n", b"\n", b"\r"):
        if data.startswith(line_break, end):
            return data[: end + len(line_break)]
    return data[:end]


_T = TypeVar("_T")


def _outside_event_loop(call: Callable[[], _T]) -> _T:
    """pyHanko's blocking calls start an event loop of their own (`asyncio.run`), which fails
    inside a running one (an async server, Playwright's sync API): there, on a thread of its
    own, so a signature is never reported unreadable for where it was checked."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(call).result()


def _refused(source: str, message: str, **values: str) -> ExportError:
    """A refusal: `message` (marked `N_`) filled with `values`, worded when shown."""
    return ExportError([Problem(source, Said(message, **values))])
