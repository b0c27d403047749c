"""The checklist PDF's page set: an A4 document drawn with fpdf2, every text made printable.

All text passes through `ChecklistDocument.printable`, which keeps what the fonts can draw and
loads a fallback font only when the text needs it. Fonts are parsed once per process
(`fonts.FontCache`) and only the per-document state is made afresh. Lines are wrapped here,
not by fpdf2's `multi_cell`, whose line breaking re-measures the whole line for every
character.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from fpdf import FPDF

from screening.catalogue import _
from screening.pdf.contract import (
    FOOTER_TEXT,
    REPLACEMENT,
)
from screening.pdf.fonts import FontCache

FONT = "dejavu"
FALLBACK_FONTS = (
    ("droid-fallback", "DroidSansFallbackFull.ttf"),  # Chinese, Japanese, and more
    ("nanum-square", "NanumSquareR.ttf"),  # Korean: Droid has only a few Hangul syllables
)
"""Tried in order for a character DejaVu lacks; each is loaded only when a text needs it."""
HANGUL_FONTS = FALLBACK_FONTS[1:]
"""Tried for Hangul: the CJK font has a few syllables, but one font per script is quicker."""
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7ff]")


def _is_hangul(code: int) -> bool:
    return _HANGUL.match(chr(code)) is not None


TOTAL_PAGES = "\ue000\ue000\ue000"
"""Page-count alias with room for 3 digits; `printable` drops private-use characters from text."""


# Drawing ----------------------------------------------------------------------------------

INK = (33, 37, 41)
MUTED = (92, 100, 108)
RULE_LINE = (196, 202, 208)
ACCENT = (30, 74, 92)
TINT = (236, 242, 244)
DRAFT_FILL = (253, 236, 200)
DRAFT_INK = (122, 62, 0)

_WIDE = (
    "\u1100-\u11ff\u2e80-\u303f\u3040-\u9fff\ua960-\ua97f\uac00-\ud7ff"
    "\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0003ffff"
)
_BREAK_UNITS = re.compile(rf" +|[{_WIDE}]|[^ {_WIDE}]+")
"""Spaces, single CJK characters (a line may break between any two), and other words."""


_FONTS = FontCache()


class ChecklistDocument(FPDF):
    """An A4 page set with a running head, a disclaimer footer and its own text handling."""

    def __init__(self) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.set_margins(left=18, top=16, right=18)
        self.set_auto_page_break(auto=True, margin=22)
        self.alias_nb_pages(TOTAL_PAGES, align="L")
        regular = _FONTS.add(self, FONT, "", "DejaVuSans.ttf")
        bold = _FONTS.add(self, FONT, "B", "DejaVuSans-Bold.ttf")
        self._drawable = regular.cmap.keys() & bold.cmap.keys()
        self._fallback_cmaps: dict[str, dict[int, Any]] = {}
        self._fallback_ids: list[str] = []
        self._widths: dict[tuple[str, float, str], float] = {}
        self.running_head = ""
        self.draft_band: str | None = None
        self.replaced_characters = False
        self.set_text_color(*INK)

    def output(self, *args: Any, **kwargs: Any) -> Any:
        """fpdf2's output, once each font holds only the glyphs this document draws."""
        _FONTS.cut_for_output(self)
        return super().output(*args, **kwargs)

    def cell(self, *args: Any, **kwargs: Any) -> bool:
        """fpdf2's cell, looking for fallback glyphs only in text that needs them: with
        fallback fonts set, fpdf2 splits every text character by character, which is slow."""
        self._fallback_for(kwargs.get("text", args[2] if len(args) > 2 else ""))
        return bool(super().cell(*args, **kwargs))

    def _fallback_for(self, text: str) -> None:
        needed = not (text.isascii() or all(ord(c) in self._drawable for c in text))
        self._fallback_font_ids = self._fallback_ids if needed else []

    # Text -----------------------------------------------------------------------------------

    def printable(self, text: str) -> str:
        """The text as it will print: NFC, no control characters, every glyph drawable.

        A character neither font has becomes U+FFFD (noted at the end of the document),
        never a missing-glyph box; the embedded record keeps the exact text.
        """
        text = unicodedata.normalize("NFC", text).replace("\r\n", "\n")
        if text.isascii() and text.isprintable():
            return text
        return "".join(self._printable_char(c) for c in text)

    def _printable_char(self, char: str) -> str:
        if char in "\n\r\u2028\u2029":
            return "\n"
        category = unicodedata.category(char)
        if category in ("Cc", "Cf"):
            return " " if char == "\t" else ""
        if category == "Zs":
            return " "
        code = ord(char)
        drawable = category not in ("Co", "Cs", "Cn") and (
            code in self._drawable or self._in_fallback(code)
        )
        if drawable:
            return char
        self.replaced_characters = True
        return REPLACEMENT

    def _in_fallback(self, code: int) -> bool:
        """Whether a fallback font draws `code`, loading fonts on first need only.

        Reading the 4 MB CJK font costs about half a second, once per process; each document
        then embeds only the glyphs it draws. A Latin-only checklist pays neither, and Korean
        text goes straight to the Korean font rather than also embedding the CJK one.
        """
        for name, filename in HANGUL_FONTS if _is_hangul(code) else FALLBACK_FONTS:
            cmap = self._fallback_cmaps.get(name)
            if cmap is None:
                cmap = self._fallback_cmaps[name] = _FONTS.add(self, name, "", filename).cmap
                self.set_fallback_fonts(list(self._fallback_cmaps), exact_match=False)
                self._fallback_ids = self._fallback_font_ids
            if code in cmap:
                return True
        return False

    def get_fallback_font(self, char: str, style: str = "") -> str | None:
        """fpdf2's choice of fallback font, but Hangul from the Korean font only."""
        if _is_hangul(ord(char)):
            name = HANGUL_FONTS[0][0]
            return name if ord(char) in self._fallback_cmaps.get(name, {}) else None
        return super().get_fallback_font(char, style)

    def width_of(self, text: str) -> float:
        key = (self.font_style, self.font_size_pt, text)
        width = self._widths.get(key)
        if width is None:
            self._fallback_for(text)
            width = self._widths[key] = self.get_string_width(text)
        return width

    def wrap(self, text: str, width: float) -> list[str]:
        """Break printable text into lines no wider than `width` in the current font."""
        lines: list[str] = []
        for paragraph in text.split("\n"):
            line, used = "", 0.0
            for unit in _BREAK_UNITS.findall(paragraph):
                size = self.width_of(unit)
                if unit[0] == " ":
                    if line:
                        line, used = line + unit, used + size
                    continue
                if used + size > width and line:
                    lines.append(line.rstrip())
                    line, used = "", 0.0
                if size <= width:
                    line, used = line + unit, used + size
                    continue
                for char in unit:
                    char_size = self.width_of(char)
                    if used + char_size > width and line:
                        lines.append(line.rstrip())
                        line, used = "", 0.0
                    line, used = line + char, used + char_size
            lines.append(line.rstrip())
        return lines

    def style(self, size: float, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
        self.set_font(FONT, "B" if bold else "", size)
        self.set_text_color(*color)

    def ensure_room(self, height: float) -> None:
        """Start a new page unless `height` fits on this one (a taller block starts anyway)."""
        if self.y + height > self.page_break_trigger and self.y > self.t_margin + 1:
            self.add_page()

    def lines_at(self, x: float, lines: Sequence[str], line_height: float) -> None:
        for line in lines:
            self.ensure_room(line_height)
            self.set_x(x)
            self.cell(0, line_height, line, new_x="LEFT", new_y="NEXT")
        self.set_x(self.l_margin)

    def fitted(self, text: str, width: float) -> str:
        """One line of at most `width`, shortened with an ellipsis."""
        text = " ".join(text.split("\n"))
        if self.width_of(text) <= width:
            return text
        room, used = width - self.width_of("…"), 0.0
        for end, char in enumerate(text):
            used += self.width_of(char)
            if used > room:
                return text[:end].rstrip() + "…"
        return text

    # Page furniture -------------------------------------------------------------------------

    def header(self) -> None:
        if self.draft_band is not None:
            self.set_fill_color(*DRAFT_FILL)
            self.rect(self.l_margin, 2.5, self.epw, 5, style="F")
            self.style(7.5, bold=True, color=DRAFT_INK)
            self.set_xy(self.l_margin, 3)
            self.cell(self.epw, 4, self.fitted(self.draft_band, self.epw), align="C")
        if self.page_no() == 1:
            self.set_y(self.t_margin)
            return
        self.style(7.5, color=MUTED)
        self.set_xy(self.l_margin, 9)
        self.cell(0, 4, self.fitted(self.running_head, self.epw))
        self.hairline(13.5)
        self.set_y(self.t_margin)

    def footer(self) -> None:
        self.hairline(self.h - 17)
        self.style(7.5, color=MUTED)
        self.set_xy(self.l_margin, self.h - 16)
        self.cell(self.epw - 30, 4, _(FOOTER_TEXT))
        page = _("Page {page} of ").format(page=self.page_no())
        self.set_xy(self.l_margin + self.epw - self.width_of(page + "000"), self.h - 16)
        self.cell(text=page + TOTAL_PAGES)

    def hairline(self, y: float, x0: float | None = None) -> None:
        self.set_draw_color(*RULE_LINE)
        self.set_line_width(0.2)
        self.line(self.l_margin if x0 is None else x0, y, self.l_margin + self.epw, y)
