"""Golden PDFs: every file an earlier release made still verifies, whatever changed since.

The files in tests/fixtures/pdf/ are never regenerated. A failure here means this release
would call a genuine old file altered or unreadable; if only what this release writes has
changed (its wording, layout or checklist), give it a new version (pyproject.toml and
`screening.__version__`) and a new record format when the pages change, rather than
editing a golden file.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from fontTools.subset import Options, Subsetter  # type: ignore[import-untyped]  # no types
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # no types
from pypdf import PdfReader

from screening import RulePack
from screening.models import CURRENT_PACK_SCHEMA
from screening.pdf import GENERATOR, pack_for_verifying, verify_pdf
from screening.pdf.contract import CONTRACTS, CURRENT_FORMAT
from screening.pdf.pages import UNCHECKED_WITHOUT_PACK
from screening.pdf.verify import EXIT_OK, EXIT_OLDER_RELEASE

GOLDEN = Path(__file__).parent / "fixtures" / "pdf"
FILES = sorted(GOLDEN.glob("*.pdf"))
PACKS = {
    "575fe38877e006080786d27b01d18692b8d5fb12737d09a6e0e9c52751017f9c": GOLDEN / "pack-1.0.0",
    "0e60d7c0d412d48ddeeba09aab89e95d75f55c7bd9281445f8668f7ff6775eba": GOLDEN / "pack-1.1.0",
    "c7d400d8bd2939af487b3cb63c8cb5c9eb0b9240597e3b603416697c25cf6931": GOLDEN / "pack-1.2.0",
}
"""The packs that made the golden files, by sha256: 1.0.0 the files of formats 1 and 2 (read
by pack schema 1.0, as 0.1.0 and 0.2.0 read it: its rules have no summary), 1.1.0 those of
format 3, 1.2.0 those of format 4."""


def embedded(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(PdfReader(path).attachments["screening-record.json"][0])
    return loaded


def pack_that_made(path: Path) -> RulePack:
    """The pack that made a golden file, read as `verify FILE --rules FOLDER` reads it."""
    folder = PACKS[embedded(path)["rule_set"]["sha256"]]
    return pack_for_verifying(folder, path.read_bytes(), path.name)


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
            from_pack = not CONTRACTS[embedded(path)["format_version"]].from_checklist
            assert result.unchecked == ((UNCHECKED_WITHOUT_PACK,) if from_pack else ())

    def test_its_answers_file_is_the_one_it_embeds(self, path: Path) -> None:
        record = embedded(path)
        given = json.loads(path.with_suffix(".answers.json").read_text(encoding="utf-8"))
        assert record["answers"]["answers"] == given["answers"]
        assert record["answers"].get("discussed", {}) == {
            rule: {"note": None, **mark} for rule, mark in given.get("discussed", {}).items()
        }


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_a_golden_file_matches_under_the_pack_that_made_it(path: Path) -> None:
    pack = pack_that_made(path)
    result = verify_pdf(path.read_bytes(), pack, path.name)
    assert result.matches
    assert result.unchecked == ()
    assert pack.pack_schema == ("1.0" if result.made_by in OLD_RELEASES else CURRENT_PACK_SCHEMA)
    lines = result.lines()
    assert not any("not checked" in line for line in lines)
    assert (SCHEMA_1_0_LINE in lines) == (pack.pack_schema == "1.0")
    if result.made_by == GENERATOR:
        assert lines[0].startswith(f"OK: {path.name}: the checklist matches")
        assert (result.drawing, result.exit_code()) == ("same", EXIT_OK)
    else:
        assert lines[0].startswith(f"OLDER RELEASE: {path.name}: the checklist matches")
        release = result.made_by.removeprefix("screening ")
        assert lines[1] == (
            f"  text and record match; the page drawing of a {release} file cannot be checked "
            f"by this release ({GENERATOR}): paint over the text would not show here"
        )
        assert (result.drawing, result.exit_code()) == ("by-text", EXIT_OLDER_RELEASE)
        assert result.exit_code(accept_older=True) == EXIT_OK


SCHEMA_1_0_LINE = (
    "  the rule pack was read by pack schema 1.0, as screening 0.1.0 and 0.2.0 read packs: its "
    "rules have no summaries"
)


OLD_RELEASES = ("screening 0.1.0", "screening 0.2.0")
"""The releases that read packs by schema 1.0."""


def test_every_golden_file_is_checked_under_the_pack_that_made_it() -> None:
    assert {embedded(p)["rule_set"]["sha256"] for p in FILES} == set(PACKS)


CURRENT = [p for p in FILES if p.name.startswith(f"format-{CURRENT_FORMAT}_")]
"""The golden files of the current format; older ones are read by their text already."""


@pytest.mark.parametrize("path", CURRENT, ids=[p.stem for p in CURRENT])
def test_a_later_release_reads_a_golden_file_by_its_text(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the next release does with this one's files: not its own, so read by the text."""
    pack = pack_that_made(path)
    monkeypatch.setattr("screening.pdf.record.GENERATOR", "screening 99.0.0")
    result = verify_pdf(path.read_bytes(), pack, path.name)
    assert (result.matches, result.rerendered, result.unchecked) == (True, False, ())


def resubset(pdf: bytes) -> bytes:
    """The file with each embedded font cut again by the installed fonttools, its glyphs
    numbered otherwise (the CID-to-glyph maps follow), saved by pikepdf."""
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        for page in opened.pages:
            for font in page.Resources.Font.values():
                cid_font: Any = font.DescendantFonts[0]
                _recut(cid_font.FontDescriptor.FontFile2, cid_font.CIDToGIDMap)
        out = io.BytesIO()
        opened.save(out)
        return out.getvalue()


def _recut(program: pikepdf.Stream, cid_map: pikepdf.Stream) -> None:
    font = TTFont(io.BytesIO(program.read_bytes()))
    order = font.getGlyphOrder()
    mapping = cid_map.read_bytes()
    used = {order[int.from_bytes(mapping[i : i + 2], "big")] for i in range(0, len(mapping), 2)}
    options = Options()
    options.notdef_outline = True
    options.glyph_names = True
    subsetter = Subsetter(options)
    subsetter.populate(glyphs=sorted(used))
    subsetter.subset(font)
    kept = font.getGlyphOrder()
    renumbered = [kept[0], *reversed(kept[1:])]
    font.ensureDecompiled()  # read in the old order, written in the new
    for name in kept:
        font["glyf"][name].expand(font["glyf"])
    font.setGlyphOrder(renumbered)
    out = io.BytesIO()
    font.save(out)
    new_gid = {name: gid for gid, name in enumerate(renumbered)}
    remapped = bytearray()
    for i in range(0, len(mapping), 2):
        old = order[int.from_bytes(mapping[i : i + 2], "big")]
        remapped += new_gid.get(old, 0).to_bytes(2, "big") if old in used else b"\0\0"
    program.write(out.getvalue())
    cid_map.write(bytes(remapped))


@pytest.mark.parametrize("path", CURRENT, ids=[p.stem for p in CURRENT])
def test_a_golden_file_with_its_fonts_cut_again_by_the_installed_fonttools_still_verifies(
    path: Path,
) -> None:
    """Another fonttools release writes other font bytes and glyph numbers for the same
    glyphs: verify compares what the glyphs draw, so the verdict is a re-save's, never
    altered."""
    pdf = path.read_bytes()
    pack = pack_that_made(path)
    recut = resubset(pdf)
    plain = resaved_by_pikepdf(pdf)
    assert _font_programs(recut) != _font_programs(plain)
    result = verify_pdf(recut, pack, path.name)
    assert (result.matches, result.drawing, result.exit_code()) == (True, "re-saved", 4)
    assert result.lines() == verify_pdf(plain, pack, path.name).lines()


def resaved_by_pikepdf(pdf: bytes) -> bytes:
    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        opened.save(out)
    return out.getvalue()


def _font_programs(pdf: bytes) -> list[bytes]:
    with pikepdf.open(io.BytesIO(pdf)) as opened:
        return [
            font.DescendantFonts[0].FontDescriptor.FontFile2.read_bytes()
            for page in opened.pages
            for font in page.Resources.Font.values()
        ]
