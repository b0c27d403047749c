"""Signed checklist PDFs (PAdES): who signed and when is reported, any change after signing is
refused. Each test makes its own CA and identities (`tests/pki.py`); nothing reaches the
network."""

from __future__ import annotations

import asyncio
import io
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fpdf import FPDF
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pypdf import PdfReader, PdfWriter
from pypdf.annotations import FreeText

from screening import AnswersFile, RulePack, evaluate, load_pack
from screening.errors import ExportError
from screening.pdf import checklist_pdf, verify_pdf
from screening.pdf.signing import (
    PASSWORD_ENV,
    load_identity,
    load_trust,
    sign,
    timestamp_authority,
)
from screening.pdf.verify import EXIT_OK, EXIT_UNTRUSTED_SIGNER
from tests.cli_process import BASE_ENV, run_screening
from tests.conftest import REPOSITORY, write_answers, write_pack
from tests.pki import Authority, authority, authority_for_timestamps, identity
from tests.test_pdf_attacks import rewritten, stamped

PASSWORD = b"correct horse"
SIGNER = "Dr Ada Example"


@pytest.fixture(scope="module")
def ca() -> Authority:
    return authority()


@pytest.fixture(scope="module")
def signed(
    ca: Authority, tmp_path_factory: pytest.TempPathFactory
) -> tuple[RulePack, bytes, bytes]:
    """The mini pack, a genuine PDF of it, and the same PDF signed by SIGNER."""
    folder = tmp_path_factory.mktemp("signing")
    pack = load_pack(write_pack(folder / "mini"))
    answers = AnswersFile(answers={"history": "yes", "monitoring": "no"}, date="2026-11-30")
    pdf = checklist_pdf(evaluate(pack, answers))
    p12 = identity(ca, SIGNER, folder, PASSWORD)
    return pack, pdf, sign(pdf, load_identity(p12.read_bytes(), PASSWORD, "id.p12"))


def trusting(authority: Authority, folder: Path) -> Any:
    path = authority.pem(folder / "trusted.pem")
    return list(load_trust(path.read_bytes(), "trusted.pem"))


class TestInsideARunningEventLoop:
    """An async server (or Playwright's sync API) runs an event loop where the core is called:
    signing and checking a signature work there as anywhere, never a false 'altered'."""

    def test_signing_and_verifying_inside_a_running_loop_give_the_same_report(
        self, ca: Authority, tmp_path: Path
    ) -> None:
        pack = load_pack(write_pack(tmp_path / "mini"))
        answers = AnswersFile(answers={"history": "yes"}, date="2026-11-30")
        pdf = checklist_pdf(evaluate(pack, answers))
        p12 = identity(ca, SIGNER, tmp_path, PASSWORD)
        signer = load_identity(p12.read_bytes(), PASSWORD, "id.p12")

        async def inside_a_loop() -> tuple[bool, int]:
            signed_pdf = sign(pdf, signer)
            result = verify_pdf(signed_pdf, pack, "s.pdf", trusting(ca, tmp_path))
            return result.matches, result.exit_code()

        # The test's own loop runs on a thread of its own: the test worker may run one already.
        with ThreadPoolExecutor(max_workers=1) as pool:
            assert pool.submit(asyncio.run, inside_a_loop()).result() == (True, EXIT_OK)


class TestSignedFile:
    def test_a_signed_file_verifies_naming_its_signer_and_time_and_trust(
        self, signed: tuple[RulePack, bytes, bytes], ca: Authority, tmp_path: Path
    ) -> None:
        pack, _, pdf = signed
        result = verify_pdf(pdf, pack, "s.pdf", trusting(ca, tmp_path))
        assert (result.matches, result.exit_code()) == (True, EXIT_OK)
        assert result.signature is not None
        assert SIGNER in result.signature.signer
        lines = result.lines()
        assert lines[0].startswith("OK: s.pdf: the checklist matches")
        assert lines[1].startswith(f"  signed by Organization: Test Clinic, Common Name: {SIGNER}")
        assert "as the signer's machine claims; nothing changed after signing" in lines[1]
        assert lines[2] == ("  the signer's certificate chains to one of the certificates trusted")

    def test_without_certificates_to_trust_the_signer_is_named_but_not_vouched_for(
        self, signed: tuple[RulePack, bytes, bytes]
    ) -> None:
        pack, _, pdf = signed
        result = verify_pdf(pdf, pack, "s.pdf")
        assert result.exit_code() == EXIT_OK
        assert "  the signer's certificate is not checked: give --trust CERTS.pem" in result.lines()

    def test_a_signer_outside_the_trusted_certificates_exits_6(
        self, signed: tuple[RulePack, bytes, bytes], tmp_path: Path
    ) -> None:
        pack, _, pdf = signed
        other = trusting(authority("Another CA"), tmp_path)
        result = verify_pdf(pdf, pack, "s.pdf", other)
        assert result.exit_code() == EXIT_UNTRUSTED_SIGNER
        assert (
            "  the signer's certificate does NOT chain to a certificate trusted (--trust): "
            "who signed is not vouched for"
        ) in result.lines()

    def test_the_signature_stamp_names_the_signer_on_the_last_page(
        self, signed: tuple[RulePack, bytes, bytes]
    ) -> None:
        _, pdf, signed_pdf = signed
        pages = PdfReader(io.BytesIO(signed_pdf)).pages
        assert len(pages) == len(PdfReader(io.BytesIO(pdf)).pages)
        last: Any = pages[-1]
        widget = last["/Annots"][0].get_object()
        appearance = widget["/AP"]["/N"].get_object()
        assert SIGNER.encode() in appearance.get_data() or any(
            SIGNER.encode() in x.get_object().get_data()
            for x in appearance["/Resources"]["/XObject"].values()
        )

    def test_without_room_on_the_last_page_the_stamp_goes_on_a_page_after_it(
        self, signed: tuple[RulePack, bytes, bytes], ca: Authority, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:  # fmt: skip
        pack, pdf, _ = signed
        monkeypatch.setattr("screening.pdf.signing.STAMP_SIZE", (255, 800))
        p12 = identity(ca, SIGNER, tmp_path, PASSWORD)
        signed_pdf = sign(pdf, load_identity(p12.read_bytes(), PASSWORD, "id.p12"))
        pages = PdfReader(io.BytesIO(signed_pdf)).pages
        assert len(pages) == len(PdfReader(io.BytesIO(pdf)).pages) + 1
        assert "/Annots" in pages[-1]
        assert verify_pdf(signed_pdf, pack, "s.pdf").exit_code() == EXIT_OK

    def test_a_timestamp_authoritys_time_is_reported(
        self, signed: tuple[RulePack, bytes, bytes], ca: Authority, tmp_path: Path
    ) -> None:
        pack, pdf, _ = signed
        stamped_at = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
        tsa = authority_for_timestamps(ca)
        p12 = identity(ca, SIGNER, tmp_path, PASSWORD)
        signed_pdf = sign(
            pdf,
            load_identity(p12.read_bytes(), PASSWORD, "id.p12"),
            DummyTimeStamper(tsa_cert=tsa[0], tsa_key=tsa[1], fixed_dt=stamped_at),
        )
        lines = verify_pdf(signed_pdf, pack, "s.pdf", trusting(ca, tmp_path)).lines()
        assert "  timestamped at 2026-12-01T09:30:00+00:00" in lines

    def test_a_timestamp_authority_that_does_not_answer_signs_nothing(
        self, signed: tuple[RulePack, bytes, bytes], ca: Authority, tmp_path: Path
    ) -> None:
        _, pdf, _ = signed
        p12 = identity(ca, SIGNER, tmp_path, PASSWORD)
        with pytest.raises(ExportError) as caught:
            sign(
                pdf,
                load_identity(p12.read_bytes(), PASSWORD, "id.p12"),
                timestamp_authority("http://127.0.0.1:9/"),  # the discard port: refused
            )
        assert str(caught.value).startswith(
            "--timestamp-url: the timestamp authority did not give a timestamp, so nothing "
            "was signed: "
        )


class TestAlteredAfterSigning:
    """Any byte changed after signing fails on the signature, whatever the text says."""

    @pytest.mark.parametrize("where", [0.1, 0.5, 0.9], ids=["start", "middle", "end"])
    def test_a_byte_changed_in_the_signed_file_is_refused(
        self, signed: tuple[RulePack, bytes, bytes], where: float
    ) -> None:
        pack, pdf, signed_pdf = signed
        at = int(len(pdf) * where)
        changed = bytearray(signed_pdf)
        changed[at] = changed[at] ^ 0x01 if changed[at] != 0x20 else 0x09
        with pytest.raises(ExportError) as caught:
            verify_pdf(bytes(changed), pack, "s.pdf")
        assert str(caught.value).endswith("the file has been altered")

    def test_the_title_changed_with_the_text_untouched_fails_on_the_signature(
        self, signed: tuple[RulePack, bytes, bytes]
    ) -> None:
        pack, _, signed_pdf = signed
        at = signed_pdf.index(b"/Title (") + len(b"/Title (")
        changed = signed_pdf[:at] + b"X" + signed_pdf[at + 1 :]
        with pytest.raises(ExportError) as caught:
            verify_pdf(changed, pack, "s.pdf")
        assert str(caught.value) == (
            "s.pdf: the signature does not match the file's bytes: the file has been altered"
        )

    def test_an_annotation_added_after_signing_is_refused(
        self, signed: tuple[RulePack, bytes, bytes]
    ) -> None:
        pack, _, signed_pdf = signed
        writer = PdfWriter(io.BytesIO(signed_pdf), incremental=True)
        writer.add_annotation(0, FreeText(text="ELIGIBLE", rect=(50, 550, 300, 600)))
        out = io.BytesIO()
        writer.write(out)
        with pytest.raises(ExportError) as caught:
            verify_pdf(out.getvalue(), pack, "s.pdf")
        assert str(caught.value) == (
            "s.pdf: the file was changed after it was signed: the file has been altered"
        )

    def test_paint_added_before_the_signature_is_refused_though_the_signature_holds(
        self, signed: tuple[RulePack, bytes, bytes], ca: Authority, tmp_path: Path
    ) -> None:
        pack, pdf, _ = signed

        def white_box(stamp: FPDF) -> None:
            stamp.set_fill_color(255, 255, 255)
            stamp.rect(0, 40, 210, 60, style="F")

        painted = rewritten(pdf, stamped(white_box), incremental=True)
        p12 = identity(ca, SIGNER, tmp_path, PASSWORD)
        signed_pdf = sign(painted, load_identity(p12.read_bytes(), PASSWORD, "id.p12"))
        with pytest.raises(ExportError) as caught:
            verify_pdf(signed_pdf, pack, "s.pdf")
        assert str(caught.value) == (
            "s.pdf: the signature's revision changes what the pages draw: the file has been altered"
        )

    def test_a_wrong_password_is_refused_naming_the_identity(
        self, ca: Authority, tmp_path: Path
    ) -> None:
        p12 = identity(ca, SIGNER, tmp_path, PASSWORD)
        with pytest.raises(ExportError) as caught:
            load_identity(p12.read_bytes(), b"wrong", "id.p12")
        assert str(caught.value) == (
            "id.p12: cannot open this PKCS#12 identity: wrong password, or not a PKCS#12 file"
        )


class TestCommandLine:
    """`evaluate --sign` takes the password from the environment or a prompt, never an
    argument; `verify --trust` reports the signature with its exit code."""

    @pytest.fixture
    def folder(self, tmp_path: Path, ca: Authority) -> Path:
        write_pack(tmp_path / "mini")
        write_answers(tmp_path / "a.json", {"history": "yes", "monitoring": "no"})
        identity(ca, SIGNER, tmp_path, PASSWORD)
        ca.pem(tmp_path / "ca.pem")
        authority("Another CA").pem(tmp_path / "other.pem")
        return tmp_path

    def sign_with_env(self, folder: Path, password: bytes) -> subprocess.CompletedProcess[str]:
        return run_screening(
            "evaluate", "a.json", "--rules", "mini", "--format", "pdf", "--out", "s.pdf",
            "--sign", "dr-ada-example.p12",
            cwd=folder,
            env={PASSWORD_ENV: password.decode()},
        )  # fmt: skip

    def test_a_file_signed_with_the_password_from_the_environment_verifies_trusted(
        self, folder: Path
    ) -> None:
        made = self.sign_with_env(folder, PASSWORD)
        assert (made.returncode, made.stderr) == (0, "")
        trusted = run_screening(
            "verify", "s.pdf", "--rules", "mini", "--trust", "ca.pem", cwd=folder
        )
        assert (trusted.returncode, trusted.stderr) == (0, "")
        assert f"Common Name: {SIGNER}" in trusted.stdout
        other = run_screening(
            "verify", "s.pdf", "--rules", "mini", "--trust", "other.pem", cwd=folder
        )
        assert other.returncode == EXIT_UNTRUSTED_SIGNER

    def test_a_wrong_password_exits_1_and_writes_nothing(self, folder: Path) -> None:
        made = self.sign_with_env(folder, b"wrong")
        assert made.returncode == 1
        assert made.stderr == (
            "Error: dr-ada-example.p12: cannot open this PKCS#12 identity: wrong password, "
            "or not a PKCS#12 file\n"
        )
        assert not (folder / "s.pdf").exists()

    def test_without_the_environment_variable_the_password_is_asked_for(self, folder: Path) -> None:
        made = subprocess.run(
            [sys.executable, "-m", "screening", "evaluate", "a.json", "--rules", "mini",
             "--format", "pdf", "--out", "s.pdf", "--sign", "dr-ada-example.p12"],
            input=PASSWORD.decode() + "\n",
            capture_output=True,
            text=True,
            cwd=folder,
            env={**BASE_ENV, "PYTHONPATH": str(REPOSITORY)},
            check=False,
        )  # fmt: skip
        assert made.returncode == 0, made.stderr
        assert "Password for dr-ada-example.p12: " in made.stderr
        assert PASSWORD.decode() not in made.stderr + made.stdout

    def test_signing_anything_but_a_pdf_is_refused(self, folder: Path) -> None:
        made = run_screening(
            "evaluate", "a.json", "--rules", "mini", "--sign", "dr-ada-example.p12", cwd=folder
        )
        assert (made.returncode, made.stderr) == (
            1,
            "Error: --sign signs a PDF: give --format pdf\n",
        )

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"not a certificate", "big.pem: no certificate to trust can be read from this file"),
            (b"x" * 1_000_001, "big.pem: "),
        ],
        ids=["not-a-certificate", "too-large"],
    )
    def test_a_trust_file_without_a_certificate_or_too_large_is_refused(
        self, folder: Path, content: bytes, message: str
    ) -> None:
        assert self.sign_with_env(folder, PASSWORD).returncode == 0
        (folder / "big.pem").write_bytes(content)
        result = run_screening(
            "verify", "s.pdf", "--rules", "mini", "--trust", "big.pem", cwd=folder
        )
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr.startswith(f"Error: {message}")

    def test_a_timestamp_url_without_a_signature_is_refused(self, folder: Path) -> None:
        made = run_screening(
            "evaluate", "a.json", "--rules", "mini", "--format", "pdf", "--out", "s.pdf",
            "--timestamp-url", "http://127.0.0.1:9/",
            cwd=folder,
        )  # fmt: skip
        assert (made.returncode, made.stderr) == (
            1,
            "Error: --timestamp-url times a signature: give --sign CERT.p12\n",
        )
