"""Fonts cut for a document draw every glyph as the whole font file does."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fontTools.pens.recordingPen import (  # type: ignore[import-untyped]  # fontTools has no types
    DecomposingRecordingPen,
)
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # fontTools has no types
from fpdf.fonts import TTFFont

from screening import AnswersFile, RulePack, evaluate
from screening.pdf import checklist_pdf
from screening.pdf.document import ChecklistDocument
from screening.pdf.fonts import FONTS_DIR, Outlines

TEXT = "Zoë Ω Дмитрий ﬁ ½ → ✓ 王小明 李 肝功能 ㈱ 𠀋 김민준 검사 あア"
FONT_FILES = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DroidSansFallbackFull.ttf",
    "NanumSquareR.ttf",
)


def drawing(font: TTFont, name: str) -> tuple[Any, ...]:
    """A glyph's outline with components drawn in, and its advance width."""
    pen = DecomposingRecordingPen(font.getGlyphSet())
    font.getGlyphSet()[name].draw(pen)
    return (tuple(pen.value), font["hmtx"].metrics[name][0])


@pytest.fixture(scope="module", params=FONT_FILES)
def whole(request: pytest.FixtureRequest) -> tuple[Path, TTFont, Outlines]:
    path = FONTS_DIR / request.param
    return path, TTFont(path), Outlines(path)


class TestCut:
    """A cut holds the glyphs asked for, drawn exactly as in the font file."""

    def test_the_glyphs_of_a_text_and_every_sampled_composite_draw_as_in_the_file(
        self, whole: tuple[Path, TTFont, Outlines]
    ) -> None:
        _, font, outlines = whole
        cmap = font.getBestCmap()
        names = {cmap[ord(c)] for c in TEXT if ord(c) in cmap}
        glyf = font["glyf"]
        composites = [n for n in font.getGlyphOrder() if glyf[n].isComposite()]
        names |= set(composites[::97])
        out = io.BytesIO()
        outlines.cut(names).save(out)
        cut = TTFont(io.BytesIO(out.getvalue()))
        assert names <= set(cut.getGlyphOrder())
        for name in names:
            assert drawing(cut, name) == drawing(font, name), name

    def test_a_cut_for_no_text_holds_only_the_glyphs_subsetting_always_keeps(
        self, whole: tuple[Path, TTFont, Outlines]
    ) -> None:
        _, font, outlines = whole
        assert outlines.cut([]).getGlyphOrder() == font.getGlyphOrder()[:4]

    def test_cutting_leaves_the_parsed_font_unchanged_for_the_next_document(
        self, whole: tuple[Path, TTFont, Outlines]
    ) -> None:
        _, font, outlines = whole
        cmap = font.getBestCmap()
        names = {cmap[ord(c)] for c in TEXT if ord(c) in cmap}
        first, second = io.BytesIO(), io.BytesIO()
        outlines.cut(names).save(first)
        outlines.cut(names).save(second)
        assert first.getvalue() == second.getvalue()


class TestSharedBetweenSessions:
    """Documents made at once in several sessions share nothing they write to."""

    def test_pdfs_built_in_parallel_threads_are_the_bytes_of_one_built_alone(
        self, mini_pack: RulePack
    ) -> None:
        references = ["王小明", "김민준", "Zoë Дмитрий", "李 ㈱ 𠀋"]

        def build(reference: str) -> bytes:
            given = AnswersFile(patient_reference=reference, date="2026-03-14")
            return checklist_pdf(evaluate(mini_pack, given))

        alone = {reference: build(reference) for reference in references}
        for _ in range(3):
            with ThreadPoolExecutor(max_workers=4) as pool:
                together = list(pool.map(build, references * 2))
            assert together == [alone[r] for r in references * 2]

    def test_each_document_has_its_own_copy_of_what_fpdf2_writes_into_a_font(self) -> None:
        first, second = ChecklistDocument(), ChecklistDocument()
        for key in first.fonts:
            mine, theirs = first.fonts[key], second.fonts[key]
            assert isinstance(mine, TTFFont) and isinstance(theirs, TTFFont)
            assert mine.desc is not theirs.desc
            assert mine.subset is not theirs.subset
