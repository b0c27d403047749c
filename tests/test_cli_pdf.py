"""`evaluate --format pdf` and `verify` from the command line: exit codes and one-line errors."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

from screening.pack.loader import WRITTEN_FOR_1_0
from screening.pdf import GENERATOR, RECORD_NAME
from screening.pdf.record import RELEASES
from tests.cli_process import run_screening
from tests.conftest import MINI_PACK, REPOSITORY, write_answers, write_pack

GOLDEN = "tests/fixtures/pdf"


def screening(*args: str | Path, cwd: Path, seed: str = "0") -> subprocess.CompletedProcess[str]:
    return run_screening(*args, cwd=cwd, env={"PYTHONHASHSEED": seed})


@pytest.fixture
def made(tmp_path: Path) -> Path:
    """A checklist PDF made from the mini pack in `tmp_path/mini`, as `tmp_path/c.pdf`."""
    write_pack(tmp_path / "mini")
    write_answers(
        tmp_path / "a.json",
        {"history": "yes", "monitoring": "no"},
        patient_reference="Zoë Ω Дмитрий 王小明",
        date="2026-03-14",
    )
    result = screening(
        "evaluate", "a.json", "--rules", "mini", "--format", "pdf", "--out", "c.pdf", cwd=tmp_path
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    return tmp_path / "c.pdf"


class TestEvaluatePdf:
    """`evaluate --format pdf --out FILE.pdf` writes a PDF; without --out it refuses."""

    def test_it_writes_a_pdf_that_verify_accepts(self, made: Path) -> None:
        assert made.read_bytes().startswith(b"%PDF-")
        result = screening("verify", "c.pdf", "--rules", "mini", cwd=made.parent)
        assert result.returncode == 0, result.stderr
        assert result.stdout.startswith("OK: c.pdf: the checklist matches:")

    def test_separate_runs_give_the_same_bytes(self, made: Path) -> None:
        again = ("evaluate", "a.json", "--rules", "mini", "--format", "pdf", "--out", "d.pdf")
        assert screening(*again, cwd=made.parent, seed="12345").returncode == 0
        assert (made.parent / "d.pdf").read_bytes() == made.read_bytes()

    def test_without_out_it_refuses_and_writes_nothing_to_the_terminal(
        self, tmp_path: Path
    ) -> None:
        write_pack(tmp_path / "mini")
        write_answers(tmp_path / "a.json", {})
        result = screening("evaluate", "a.json", "--rules", "mini", "--format", "pdf", cwd=tmp_path)
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr == "Error: --format pdf needs --out FILE.pdf: a PDF is binary\n"

    def test_a_bad_date_is_one_error_line_naming_the_file_and_no_file_is_written(
        self, tmp_path: Path
    ) -> None:
        write_pack(tmp_path / "mini")
        write_answers(tmp_path / "a.json", {}, date="14/03/2026")
        result = screening(
            "evaluate",
            "a.json",
            "--rules",
            "mini",
            "--format",
            "pdf",
            "--out",
            "c.pdf",
            cwd=tmp_path,
        )
        assert result.returncode == 1
        assert result.stderr == (
            'Error: a.json: date: must be a calendar date from 1900 on, written YYYY-MM-DD, got "14/03/2026"\n'
        )
        assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "mini"]


class TestVerify:
    """`verify FILE.pdf` exits 0 on a match, 1 when the pack changed, 1 with one line on bad input."""

    def test_a_changed_pack_exits_1_naming_the_version_and_hash_that_made_the_file(
        self, made: Path
    ) -> None:
        folder = made.parent
        before = (
            screening("check", "--rules", "mini", cwd=folder).stdout.split("sha256 ")[1].strip()
        )
        write_pack(folder / "mini", {"pack.yaml": MINI_PACK["pack.yaml"].replace("0.1.0", "0.2.0")})
        result = screening("verify", "c.pdf", "--rules", "mini", cwd=folder)
        assert result.returncode == 1
        lines = result.stdout.splitlines()
        assert lines[0] == "c.pdf: the rule pack has changed since this PDF was made."
        assert lines[1] == f"  made with: Mini pack 0.1.0 (sha256 {before})"
        assert lines[2].startswith("  current:   Mini pack 0.2.0 (sha256 ")
        assert lines[3] == "  re-evaluated with the current pack, the checklist is the same."

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            (b"just some notes\n", "not a PDF file"),
            (b"%PDF-1.4\n% cut short", "cannot read this PDF: the file is damaged or incomplete"),
        ],
    )
    def test_a_bad_file_is_one_error_line_and_exit_1(
        self, tmp_path: Path, content: bytes, message: str
    ) -> None:
        write_pack(tmp_path / "mini")
        (tmp_path / "x.pdf").write_bytes(content)
        result = screening("verify", "x.pdf", "--rules", "mini", cwd=tmp_path)
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr == f"Error: x.pdf: {message}\n"

    def test_a_damaged_pdf_is_one_error_line_never_a_traceback(self, made: Path) -> None:
        data = made.read_bytes()
        first_stream = data.index(b"stream\n") + 20
        damaged = data[:first_stream] + b"\0" * 40 + data[first_stream + 40 :]
        (made.parent / "x.pdf").write_bytes(damaged)
        result = screening("verify", "x.pdf", "--rules", "mini", cwd=made.parent)
        assert result.returncode == 1
        assert result.stderr.startswith("Error: x.pdf: ")
        assert result.stderr.count("\n") == 1

    def test_a_missing_file_is_one_error_line(self, tmp_path: Path) -> None:
        write_pack(tmp_path / "mini")
        result = screening("verify", "gone.pdf", "--rules", "mini", cwd=tmp_path)
        assert result.returncode == 1
        assert result.stderr == "Error: gone.pdf: no such file\n"

    def test_a_pdf_from_an_older_release_whose_pages_agree_exits_3_or_0_when_asked(
        self,
    ) -> None:
        pdf = f"{GOLDEN}/format-2_screening-0.2.0_marks-and-notes.pdf"
        given = ("verify", pdf, "--rules", f"{GOLDEN}/pack-1.0.0")
        result = screening(*given, cwd=REPOSITORY)
        assert (result.returncode, result.stderr) == (3, "")
        assert result.stdout.splitlines()[1] == (
            "  text and record match; the page drawing of a 0.2.0 file cannot be checked by "
            f"this release ({GENERATOR}): paint over the text would not show here"
        )
        accepted = screening(*given, "--accept-older-by-text", cwd=REPOSITORY)
        assert (accepted.returncode, accepted.stdout) == (0, result.stdout)

    def test_a_record_swapped_under_a_foreign_generator_exits_1_naming_the_release(
        self, made: Path
    ) -> None:
        reader = PdfReader(made)
        data = json.loads(reader.attachments[RECORD_NAME][0])
        data["generator"] = "screening 9.9"
        data["answers"]["clinician"] = "Dr Mallory"
        writer = PdfWriter(clone_from=reader)
        for attachment in writer.attachment_list:
            attachment.content = json.dumps(data).encode()
        out = io.BytesIO()
        writer.write(out)
        (made.parent / "x.pdf").write_bytes(out.getvalue())
        result = screening("verify", "x.pdf", "--rules", "mini", cwd=made.parent)
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr.splitlines() == [
            "Error: x.pdf: the embedded record names a release this program does not know: "
            f"'screening 9.9' (it knows {', '.join(RELEASES)}, exactly so): it cannot be checked"
        ]

    def test_a_file_of_0_1_0_verifies_under_the_pack_that_made_it_read_by_schema_1_0(
        self,
    ) -> None:
        pdf = f"{GOLDEN}/format-1_screening-0.1.0_partly-answered.pdf"
        result = screening("verify", pdf, "--rules", f"{GOLDEN}/pack-1.0.0", cwd=REPOSITORY)
        assert (result.returncode, result.stderr) == (3, "")
        lines = result.stdout.splitlines()
        assert lines[0].startswith(f"OLDER RELEASE: {pdf}: the checklist matches: re-evaluating")
        assert lines[2] == (
            "  the rule pack was read by pack schema 1.0, as screening 0.1.0 and 0.2.0 read "
            "packs: its rules have no summaries"
        )

    def test_the_pack_of_0_1_0_is_refused_for_a_file_of_0_3_0_saying_what_it_is(self) -> None:
        pdf = f"{GOLDEN}/format-3_screening-0.3.0_cjk-reference.pdf"
        result = screening("verify", pdf, "--rules", f"{GOLDEN}/pack-1.0.0", cwd=REPOSITORY)
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr.splitlines()[:3] == [
            "Error: rule pack refused (39 problem(s)):",
            f"  {GOLDEN}/pack-1.0.0: {WRITTEN_FOR_1_0}",
            f"  {GOLDEN}/pack-1.0.0/rules-consent.yaml:7: consent-goals-not-agreed: "
            "rules.summary: required field is missing",
        ]

    def test_it_is_listed_in_the_help(self, tmp_path: Path) -> None:
        result = screening("--help", cwd=tmp_path)
        assert "verify" in result.stdout

    def test_its_help_says_what_it_proves_and_what_only_a_signature_would(
        self, tmp_path: Path
    ) -> None:
        text = " ".join(screening("verify", "--help", cwd=tmp_path).stdout.split())
        assert "What an OK proves: the file holds nothing this program never writes" in text
        assert "Who made the file only a signature proves" in text
