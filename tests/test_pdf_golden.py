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
from typing import Any

import pytest
from pypdf import PdfReader

from screening import RulePack, load_pack
from screening.pdf import verify_pdf
from screening.pdf.contract import CURRENT_FORMAT

GOLDEN = Path(__file__).parent / "fixtures" / "pdf"
FILES = sorted(GOLDEN.glob("*.pdf"))
PACKS = {
    "575fe38877e006080786d27b01d18692b8d5fb12737d09a6e0e9c52751017f9c": None,
    "0e60d7c0d412d48ddeeba09aab89e95d75f55c7bd9281445f8668f7ff6775eba": GOLDEN / "pack-1.1.0",
}
"""The packs that made the golden files, by sha256. 1.0.0 (`pack-1.0.0`, formats 1 and 2)
no longer loads, since rules now need a summary: those files are read against the shipped
pack only. 1.1.0 made the format-3 files."""


def embedded(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(PdfReader(path).attachments["screening-record.json"][0])
    return loaded


WITH_PACK = [p for p in FILES if PACKS.get(embedded(p)["rule_set"]["sha256"]) is not None]
"""The golden files whose pack still loads."""


def test_there_are_golden_files_of_every_record_format() -> None:
    formats = {path.name.split("_")[0] for path in FILES}
    assert formats == {f"format-{n}" for n in range(1, CURRENT_FORMAT + 1)}


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
class TestGolden:
    """Each golden file's pages agree with its record, under the pack that made it and the
    shipped one."""

    def test_it_verifies_against_the_shipped_pack(self, path: Path, shipped_pack: RulePack) -> None:
        result = verify_pdf(path.read_bytes(), shipped_pack, path.name)
        assert result.produced_by.sha256 in PACKS
        if shipped_pack.sha256 == result.produced_by.sha256:
            assert result.matches
        else:
            assert result.lines()[0] == (
                f"{path.name}: the rule pack has changed since this PDF was made."
            )

    def test_its_answers_file_is_the_one_it_embeds(self, path: Path) -> None:
        record = embedded(path)
        given = json.loads(path.with_suffix(".answers.json").read_text(encoding="utf-8"))
        assert record["answers"]["answers"] == given["answers"]
        assert record["answers"].get("discussed", {}) == {
            rule: {"note": None, **mark} for rule, mark in given.get("discussed", {}).items()
        }


@pytest.mark.parametrize("path", WITH_PACK, ids=[p.stem for p in WITH_PACK])
def test_a_golden_file_matches_under_the_pack_that_made_it(path: Path) -> None:
    folder = PACKS[embedded(path)["rule_set"]["sha256"]]
    assert folder is not None
    result = verify_pdf(path.read_bytes(), load_pack(folder), path.name)
    assert result.matches
    assert result.unchecked == ()


def test_the_files_of_the_current_format_are_checked_under_their_pack() -> None:
    assert {p.name.split("_")[0] for p in WITH_PACK} >= {f"format-{CURRENT_FORMAT}"}


@pytest.mark.parametrize("path", WITH_PACK, ids=[p.stem for p in WITH_PACK])
def test_a_later_release_reads_a_golden_file_by_its_text(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the next release does with this one's files: not its own, so read by the text."""
    folder = PACKS[embedded(path)["rule_set"]["sha256"]]
    assert folder is not None
    monkeypatch.setattr("screening.pdf.record.GENERATOR", "screening 99.0.0")
    result = verify_pdf(path.read_bytes(), load_pack(folder), path.name)
    assert (result.matches, result.rerendered, result.unchecked) == (True, False, ())
