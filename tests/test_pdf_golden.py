"""Golden PDFs: every file an earlier release made still verifies, whatever changed since.

The files in tests/fixtures/pdf/ are never regenerated. A failure here means this release
would call a genuine old file altered or unreadable; if only what this release writes has
changed (its wording, layout or checklist), give it a new version (pyproject.toml and
`screening.__version__`) and a new record format when the pages change, rather than
editing a golden file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from screening import RulePack
from screening.pdf import verify_pdf

GOLDEN = Path(__file__).parent / "fixtures" / "pdf"
PACK_SHA256 = "575fe38877e006080786d27b01d18692b8d5fb12737d09a6e0e9c52751017f9c"
"""The pack in fixtures/pdf/pack-1.0.0, which made every golden file."""
FILES = sorted(GOLDEN.glob("*.pdf"))


def test_there_are_golden_files_of_every_record_format() -> None:
    assert {path.name.split("_")[0] for path in FILES} == {"format-1", "format-2"}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
class TestGolden:
    """Each golden file's pages agree with its record under the shipped pack."""

    def test_it_verifies_against_the_shipped_pack(self, path: Path, shipped_pack: RulePack) -> None:
        result = verify_pdf(path.read_bytes(), shipped_pack, path.name)
        assert result.produced_by.sha256 == PACK_SHA256
        if shipped_pack.sha256 == PACK_SHA256:
            assert result.same_checklist
            assert result.unchecked == ()
        else:
            assert result.lines()[0] == (
                f"{path.name}: the rule pack has changed since this PDF was made."
            )

    def test_its_answers_file_is_the_one_it_embeds(self, path: Path) -> None:
        from pypdf import PdfReader  # noqa: PLC0415 - only this test reads the record directly

        embedded = json.loads(PdfReader(path).attachments["screening-record.json"][0])
        given = json.loads(path.with_suffix(".answers.json").read_text(encoding="utf-8"))
        assert embedded["answers"]["answers"] == given["answers"]
        assert embedded["answers"].get("discussed", {}) == {
            rule: {"note": None, **mark} for rule, mark in given.get("discussed", {}).items()
        }
