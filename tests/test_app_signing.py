"""The app signs every PDF with the identity the clinic configured on the server, and offers
no PDF at all when that identity cannot be opened (never an unsigned one instead)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from app_pages.common import SIGNING_IDENTITY_ENV
from screening.pdf.signing import PASSWORD_ENV
from tests.pki import authority, identity
from tests.test_app_screening import Download, answer, build, downloads, start

__all__ = ["downloads"]  # the fixture, used by name

PASSWORD = b"clinic secret"


def configured(monkeypatch: pytest.MonkeyPatch, folder: Path, password: bytes) -> None:
    p12 = identity(authority(), "Day Unit Signing", folder, PASSWORD)
    monkeypatch.setenv(SIGNING_IDENTITY_ENV, str(p12))
    monkeypatch.setenv(PASSWORD_ENV, password.decode())


def test_with_a_configured_identity_the_pdf_download_is_signed(
    monkeypatch: pytest.MonkeyPatch,
    mini_dir: Path,
    tmp_path: Path,
    downloads: dict[str, Download],
) -> None:
    configured(monkeypatch, tmp_path, PASSWORD)
    at = start(monkeypatch, mini_dir)
    answer(at, "history", "yes")
    build(at)
    button = next(b for b in at.download_button if b.key == "download__pdf")
    assert "signed with the clinic's signing identity" in str(button.help)
    pdf = downloads["download__pdf"].data()
    assert isinstance(pdf, bytes)
    signature = PdfReader(io.BytesIO(pdf)).get_fields()
    assert signature is not None
    assert [f.get("/FT") for f in signature.values()] == ["/Sig"]


def test_an_identity_that_cannot_be_opened_offers_no_pdf(
    monkeypatch: pytest.MonkeyPatch, mini_dir: Path, tmp_path: Path
) -> None:
    configured(monkeypatch, tmp_path, b"wrong")
    at = start(monkeypatch, mini_dir)
    answer(at, "history", "yes")
    at.button(key="build").click().run()
    assert "download__pdf" not in [b.key for b in at.download_button]
    assert [e.value for e in at.error] == [
        f"The PDF cannot be signed: {tmp_path / 'day-unit-signing.p12'}: cannot open this "
        "PKCS#12 identity: wrong password, or not a PKCS#12 file"
    ]


def test_without_an_identity_the_pdf_is_not_signed(
    monkeypatch: pytest.MonkeyPatch, mini_dir: Path, downloads: dict[str, Download]
) -> None:
    monkeypatch.delenv(SIGNING_IDENTITY_ENV, raising=False)
    at = start(monkeypatch, mini_dir)
    answer(at, "history", "yes")
    build(at)
    pdf = downloads["download__pdf"].data()
    assert isinstance(pdf, bytes)
    assert PdfReader(io.BytesIO(pdf)).get_fields() is None
