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

import io
import logging
import warnings
from dataclasses import dataclass
from datetime import datetime

from asn1crypto import pem, x509  # type: ignore[import-untyped]  # no types
from cryptography.utils import CryptographyDeprecationWarning

from screening.errors import ExportError, Problem

with warnings.catch_warnings():
    # pyHanko imports DSA support, which cryptography deprecates, on every run
    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign import fields, signers
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko.stamp import TextStampStyle
    from pyhanko_certvalidator import ValidationContext

FIELD_NAME = "ChecklistSignature"
STAMP_BOX = (51, 40, 306, 88)
"""Where the signature's stamp sits on the last page (points from its lower left corner):
beside the footer, clear of the text above it."""
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
        when = self.signed_at.isoformat() if self.signed_at else "no signing time given"
        lines = [
            f"  signed by {self.signer}, at {when} as the signer's machine claims; nothing "
            "changed after signing"
        ]
        if self.timestamped_at is not None:
            lines.append(f"  timestamped at {self.timestamped_at.isoformat()}")
        if self.trusted is None:
            lines.append("  the signer's certificate is not checked: give --trust CERTS.pem")
        elif self.trusted:
            lines.append("  the signer's certificate chains to one of the certificates trusted")
        else:
            lines.append(
                "  the signer's certificate does NOT chain to a certificate trusted (--trust): "
                "who signed is not vouched for"
            )
        return lines


def load_identity(p12: bytes, password: bytes, source: str) -> signers.SimpleSigner:
    """The signing identity in PKCS#12 data; `ExportError` if it cannot be opened."""
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(p12, other_certs=[], passphrase=password)
    except (ValueError, TypeError):
        signer = None
    if not isinstance(signer, signers.SimpleSigner):
        message = "cannot open this PKCS#12 identity: wrong password, or not a PKCS#12 file"
        raise ExportError([Problem(source, message)])
    return signer


def sign(pdf: bytes, identity: signers.SimpleSigner) -> bytes:
    """The PDF with one PAdES signature over all of it, its stamp on the last page."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    last = int(writer.root["/Pages"]["/Count"]) - 1
    spec = fields.SigFieldSpec(FIELD_NAME, on_page=last, box=STAMP_BOX)
    stamp = TextStampStyle(stamp_text=STAMP_TEXT, border_width=1)
    pdf_signer = signers.PdfSigner(
        metadata, signer=identity, stamp_style=stamp, new_field_spec=spec
    )
    out = io.BytesIO()
    pdf_signer.sign_pdf(writer, output=out)
    return out.getvalue()


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
        raise ExportError([Problem(source, "no certificate to trust can be read from this file")])
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
        raise _refused(source, "cannot read this PDF's signature: the file is damaged") from None
    if not signatures:
        return None, data
    if len(signatures) > 1:
        raise _refused(
            source, f"the file holds {len(signatures)} signatures; this program signs once"
        )
    return _report(signatures[0], source, trust), _before_signing(data)


def _report(
    signature: object, source: str, trust: list[x509.Certificate] | None
) -> SignatureReport:
    context = ValidationContext(trust_roots=trust or [], allow_fetching=False)
    logger = logging.getLogger("pyhanko")
    level = logger.level
    logger.setLevel(logging.CRITICAL)  # an untrusted path is logged with a traceback
    try:
        status = validate_pdf_signature(signature, context)  # type: ignore[arg-type]
    except Exception:  # a damaged signature container raises many kinds of error
        raise _refused(source, "the signature cannot be read: the file has been altered") from None
    finally:
        logger.setLevel(level)
    if not (status.intact and status.valid):
        raise _refused(
            source, "the signature does not match the file's bytes: the file has been altered"
        )
    if (
        status.coverage != SignatureCoverageLevel.ENTIRE_FILE
        or status.modification_level != ModificationLevel.NONE
    ):
        raise _refused(
            source, "the file was changed after it was signed: the file has been altered"
        )
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


def _refused(source: str, message: str) -> ExportError:
    return ExportError([Problem(source, message)])
