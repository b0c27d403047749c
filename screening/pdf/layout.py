"""Page layout of the checklist PDF: a calm A4 form drawn with fpdf2, every text made printable.

All text passes through `ChecklistDocument.printable`, which keeps what the fonts can draw and
loads a fallback font only when the text needs it. Fonts are parsed once per process
(`fonts.FontCache`) and only the per-document state is made afresh. Lines are wrapped here,
not by fpdf2's `multi_cell`, whose line breaking re-measures the whole line for every
character.

The words printed around the data come from the page contract of the current record format
(`contract.py`), which `verify` reads back.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from fpdf import FPDF

from screening.catalogue import _, active_language
from screening.models import AnswersFile, AnswerState, Checklist, Entry
from screening.open_entries import entry_headline
from screening.pdf.contract import (
    ABOUT_HEADING,
    ANSWERS_HEADING,
    CHECKLIST_HEADING,
    CONTRACTS,
    CURRENT_FORMAT,
    DETAILS_NOTE,
    DOCUMENT_TITLE,
    FINGERPRINT_LABEL,
    FOOTER_TEXT,
    KICKER,
    KIND_LABELS,
    NOTES_HEADING,
    REFERENCES_HEADING,
    REPLACED_NOTE,
    REPLACEMENT,
    SIGN_OFF_CAPTIONS,
    SIGN_OFF_HEADING,
    TITLE,
    SectionBlock,
    answered,
    background_source,
    because_text,
    details_rows,
    draft_band,
    made_by,
    not_assessed_text,
    note_text,
    open_because,
    reference_text,
    row_answer,
    rule_and_sources,
    running_head,
    section_blocks,
    spoken,
    statement_lines,
    summary_text,
)
from screening.pdf.fonts import FontCache
from screening.statements import group_statements

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


@dataclass(frozen=True)
class _EntryParts:
    """An entry's wrapped lines, measured before drawing so that it never splits over pages."""

    text: list[str]
    note: list[str]
    because: list[str]
    meta: list[str]
    compact: bool = False
    said: list[list[str]] = field(default_factory=list)
    """Each source statement's wrapped lines (format 4 on)."""

    @property
    def said_height(self) -> float:
        lines = sum(len(s) for s in self.said)
        if self.compact:
            return lines * 3.8 + len(self.said) * 0.4
        return lines * 4.3 + len(self.said) * 0.6 + (0.6 if self.said else 0)

    @property
    def height(self) -> float:
        if self.compact:
            lines = len(self.text) * 4.3 + len(self.note) * 4.3 + len(self.because) * 3.4
            return lines + len(self.meta) * 3.3 + 1.4 + self.said_height
        note = len(self.note) * 4.6 + 0.6 if self.note else 0
        lines = len(self.because) * 4.1 + len(self.meta) * 3.9
        return len(self.text) * 5 + self.said_height + note + 0.8 + lines + 3.2


class _Layout:
    """Draws one checklist into a `ChecklistDocument`, top to bottom."""

    KIND_X = 6.5
    TEXT_X = 27.0
    OPEN_BOX_X = 4.0
    OPEN_X = 10.5

    def __init__(self, doc: ChecklistDocument, answers: AnswersFile, checklist: Checklist) -> None:
        self.doc = doc
        self.answers = answers
        self.checklist = checklist
        self.t = doc.printable
        self.contract = spoken(CONTRACTS[CURRENT_FORMAT])

    def label(self, item_id: str) -> str:
        return self.checklist.label(item_id)

    def question(self, item_id: str) -> str:
        return self.checklist.question(item_id)

    # Blocks ---------------------------------------------------------------------------------

    def title(self) -> None:
        doc = self.doc
        doc.style(8, bold=True, color=ACCENT)
        doc.cell(0, 4, _(KICKER), new_x="LMARGIN", new_y="NEXT")
        doc.style(17, bold=True)
        doc.cell(0, 9, _(TITLE), new_x="LMARGIN", new_y="NEXT")
        doc.ln(1.5)
        doc.style(9)
        lines = doc.wrap(self.t(_(self.checklist.disclaimer)), doc.epw - 8)
        height = len(lines) * 4.3 + 4
        doc.set_fill_color(*TINT)
        doc.rect(doc.l_margin, doc.y, doc.epw, height, style="F")
        doc.set_fill_color(*ACCENT)
        doc.rect(doc.l_margin, doc.y, 1.2, height, style="F")
        doc.set_y(doc.y + 2)
        doc.lines_at(doc.l_margin + 5, lines, 4.3)
        doc.ln(4)

    def details(self) -> None:
        doc = self.doc
        for name, value in details_rows(self.answers, self.checklist.rule_set):
            doc.style(8.5, color=MUTED)
            y = doc.y
            doc.cell(33, 5, name)
            doc.style(8.5 if name.endswith("sha256:") else 10)
            doc.set_y(y)
            doc.lines_at(doc.l_margin + 33, doc.wrap(self.t(value), doc.epw - 33), 5)
        doc.ln(2)
        doc.style(8, color=MUTED)
        doc.lines_at(doc.l_margin, doc.wrap(_(DETAILS_NOTE), doc.epw), 4)
        doc.ln(3)

    def heading(self, text: str, keep_with: float = 0) -> None:
        """A part of the document, with its bookmark."""
        doc = self.doc
        doc.ensure_room(14 + keep_with)
        if doc.y > doc.t_margin + 1:
            doc.ln(4)
        doc.start_section(text, level=0)
        doc.style(13, bold=True)
        doc.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        doc.ln(1)

    def section_heading(self, text: str, keep_with: float, bookmark: bool = False) -> None:
        """A section of the pack; in the Checklist, also a bookmark under the part's."""
        doc = self.doc
        lines = self._wrapped(self.t(text), doc.epw, 10.5, bold=True)
        doc.ensure_room(len(lines) * 5.5 + 4 + keep_with)
        doc.ln(1.5)
        if bookmark:
            doc.start_section(" ".join(self.t(text).split()), level=1)
        doc.style(10.5, bold=True, color=ACCENT)
        doc.lines_at(doc.l_margin, lines, 5.5)
        doc.hairline(doc.y + 0.6)
        doc.ln(2.5)

    def summary(self) -> None:
        doc = self.doc
        doc.style(9.5, color=MUTED)
        doc.lines_at(doc.l_margin, doc.wrap(summary_text(self.checklist), doc.epw), 4.6)
        if self.contract.absent_note:
            doc.ln(0.8)
            doc.style(9, color=MUTED)
            doc.lines_at(doc.l_margin, doc.wrap(self.contract.absent_note, doc.epw), 4.3)
        self.statements()

    def statements(self) -> None:
        """The "What the sources say" block: every entry's source statements, once each."""
        said = statement_lines(self.contract, self.checklist.statements)
        open_said = statement_lines(self.contract, self.checklist.open_statements)
        if not (said or open_said) or not self.contract.statements_heading:
            return
        doc = self.doc
        width = doc.epw - 8
        intro = self._wrapped(self.contract.statements_intro or "", width, 8)
        lines = [self._wrapped(self.t(text), width - 3, 9) for text in said]
        open_lines = [self._wrapped(self.t(text), width - 3, 9) for text in open_said]
        doc.ln(2.5)
        doc.ensure_room(6 + len(intro) * 3.8 + len((lines or open_lines)[0]) * 4.4 + 3)
        top = doc.y
        doc.set_x(doc.l_margin + 5)
        doc.style(9.5, bold=True, color=ACCENT)
        doc.cell(0, 5.5, self.contract.statements_heading, new_x="LMARGIN", new_y="NEXT")
        doc.style(8, color=MUTED)
        doc.lines_at(doc.l_margin + 5, intro, 3.8)
        doc.ln(1)
        top = self._bullets(lines, top)
        if open_lines and self.contract.open_statements_heading:
            heading = self._wrapped(self.contract.open_statements_heading, width, 9, bold=True)
            open_intro = self._wrapped(self.contract.open_statements_intro or "", width, 8)
            room = len(heading) * 4.6 + len(open_intro) * 3.8 + len(open_lines[0]) * 4.4 + 2
            if doc.y + room > doc.page_break_trigger:
                self._bar(top)
                doc.add_page()
                top = doc.y
            doc.ln(1)
            doc.style(9, bold=True, color=ACCENT)
            doc.lines_at(doc.l_margin + 5, heading, 4.6)
            doc.style(8, color=MUTED)
            doc.lines_at(doc.l_margin + 5, open_intro, 3.8)
            doc.ln(1)
            top = self._bullets(open_lines, top)
        self._bar(top)
        doc.ln(1)

    def _bullets(self, lines: list[list[str]], top: float) -> float:
        """Statement lines with bullets, the bar beside them continued over pages; returns
        where the bar now starts."""
        doc = self.doc
        for wrapped in lines:
            if doc.y + len(wrapped) * 4.4 > doc.page_break_trigger and doc.y > top + 1:
                self._bar(top)
                doc.add_page()
                top = doc.y
            doc.style(9)
            doc.set_xy(doc.l_margin + 5, doc.y)
            doc.cell(3, 4.4, "•")
            doc.lines_at(doc.l_margin + 8, wrapped, 4.4)
            doc.ln(0.6)
        return top

    def _bar(self, top: float) -> None:
        """The accent bar beside the statements block, from `top` to here."""
        doc = self.doc
        doc.set_fill_color(*ACCENT)
        doc.rect(doc.l_margin, top, 1.2, doc.y - top, style="F")

    def _said(self, entry: Entry, width: float, size: float) -> list[list[str]]:
        return [
            self._wrapped(self.t(text), width, size)
            for text in statement_lines(self.contract, entry.source_says)
        ]

    def _said_at(self, x: float, said: list[list[str]], size: float, height: float) -> None:
        doc = self.doc
        for wrapped in said:
            doc.style(size, color=INK)
            doc.lines_at(x, wrapped, height)
            doc.ln(0.6 if size > 8.5 else 0.4)

    def _wrapped(self, text: str, width: float, size: float, bold: bool = False) -> list[str]:
        self.doc.style(size, bold=bold)
        return self.doc.wrap(text, width)

    def _entry_parts(self, entry: Entry) -> _EntryParts:
        width = self.doc.epw - self.TEXT_X
        note = note_text(self.contract, entry)
        return _EntryParts(
            self._wrapped(self.t(entry.text), width, 10),
            self._wrapped(self.t(note), width, 9.5) if note else [],
            self._wrapped(self.t(because_text(entry, self.label)), width, 8.5),
            self._wrapped(self.t(rule_and_sources(entry)), width, 8),
            said=self._said(entry, width, 9),
        )

    def entry(self, entry: Entry, parts: _EntryParts) -> None:
        doc = self.doc
        doc.ensure_room(parts.height)
        left, top = doc.l_margin, doc.y
        self._box(left, top, entry.done)
        doc.style(7, bold=True, color=ACCENT)
        doc.set_xy(left + self.KIND_X, top)
        doc.cell(self.TEXT_X - self.KIND_X, 5, KIND_LABELS[entry.kind])
        doc.set_y(top)
        doc.style(10)
        doc.lines_at(left + self.TEXT_X, parts.text, 5)
        if parts.said:
            doc.ln(0.6)
            self._said_at(left + self.TEXT_X, parts.said, 9, 4.3)
        if parts.note:
            doc.ln(0.6)
            doc.style(9.5, color=ACCENT)
            doc.lines_at(left + self.TEXT_X, parts.note, 4.6)
        doc.ln(0.8)
        doc.style(8.5, color=MUTED)
        doc.lines_at(left + self.TEXT_X, parts.because, 4.1)
        doc.style(8, color=MUTED)
        doc.lines_at(left + self.TEXT_X, parts.meta, 3.9)
        doc.ln(3.2)

    def _open_parts(self, entry: Entry) -> _EntryParts:
        width = self.doc.epw - self.OPEN_X
        note = note_text(self.contract, entry)
        because = because_text(entry, self.label) if open_because(entry) else None
        return _EntryParts(
            self._wrapped(self.t(entry_headline(entry)), width, 9),
            self._wrapped(self.t(note), width, 9) if note else [],
            self._wrapped(self.t(because), width, 7.5) if because else [],
            self._wrapped(self.t(rule_and_sources(entry)), width, 7),
            compact=True,
        )  # its statements come once under its group (`open_groups`)

    def open_entry(self, entry: Entry, parts: _EntryParts) -> None:
        """An open entry, compact: box, what the answer would raise, then rule and sources."""
        doc = self.doc
        doc.ensure_room(parts.height)
        left, top = doc.l_margin + self.OPEN_BOX_X, doc.y
        self._box(left, top - 0.3, entry.done)
        doc.set_y(top)
        doc.style(9)
        doc.lines_at(doc.l_margin + self.OPEN_X, parts.text, 4.3)
        self._said_at(doc.l_margin + self.OPEN_X, parts.said, 8, 3.8)
        if parts.note:
            doc.style(9, color=ACCENT)
            doc.lines_at(doc.l_margin + self.OPEN_X, parts.note, 4.3)
        doc.style(7.5, color=MUTED)
        doc.lines_at(doc.l_margin + self.OPEN_X, parts.because, 3.4)
        doc.style(7, color=MUTED)
        doc.lines_at(doc.l_margin + self.OPEN_X, parts.meta, 3.3)
        doc.ln(1.4)

    def _box(self, left: float, top: float, done: bool) -> None:
        doc = self.doc
        doc.set_draw_color(*MUTED)
        doc.set_line_width(0.3)
        doc.rect(left + 0.4, top + 0.7, 3.6, 3.6)
        if done and self.contract.done_mark:
            doc.style(9, bold=True, color=ACCENT)
            doc.set_xy(left, top)
            doc.cell(4.4, 5, self.contract.done_mark, align="C")

    def open_groups(self, block: SectionBlock) -> None:
        """The section's open entries under the question whose answer would settle them."""
        doc = self.doc
        first = True
        for item_id, group in block.open_groups:
            question = self._wrapped(
                self.t(self.contract.find_out.format(question=self.question(item_id))),
                doc.epw - self.OPEN_BOX_X,
                9,
                bold=True,
            )
            parts = [self._open_parts(e) for e in group]
            said = [
                self._wrapped(self.t(text), doc.epw - self.OPEN_X, 8)
                for text in statement_lines(self.contract, group_statements(group))
            ]
            heading = 5.5 if first else 0
            whole = sum(p.height for p in parts) + sum(len(w) * 3.8 + 0.4 for w in said)
            # the group never splits: if it does not fit in the space left, it starts on the
            # next page (a group taller than a page starts on a page of its own)
            doc.ensure_room(heading + len(question) * 4.4 + 0.6 + whole)
            if first and self.contract.open_heading:
                if block.raised:
                    doc.ln(1)
                doc.style(7.5, bold=True, color=ACCENT)
                doc.cell(0, 4.5, self.contract.open_heading.upper(), new_x="LMARGIN", new_y="NEXT")
                first = False
            doc.style(9, bold=True)
            doc.lines_at(doc.l_margin, question, 4.4)
            doc.ln(0.6)
            for entry, entry_parts in zip(group, parts, strict=True):
                self.open_entry(entry, entry_parts)
            for wrapped in said:
                doc.ensure_room(len(wrapped) * 3.8 + 0.4)
                self._said_at(doc.l_margin + self.OPEN_X, [wrapped], 8, 3.8)
            doc.ln(0.8)

    def checklist_entries(self) -> None:
        self.heading(_(CHECKLIST_HEADING))
        self.summary()
        for block in section_blocks(self.contract, self.checklist):
            parts = [self._entry_parts(e) for e in block.raised]
            first = parts[0].height if parts else 16.0
            self.section_heading(block.section, keep_with=first, bookmark=True)
            for entry, entry_parts in zip(block.raised, parts, strict=True):
                self.entry(entry, entry_parts)
            self.open_groups(block)

    def answers_given(self) -> None:
        """The items answered with their answers, then the items not assessed by name."""
        doc = self.doc
        answer_x = doc.epw - 30
        rows = [
            (item.section, self._wrapped(self.t(item.question), answer_x - 6, 9), item.state)
            for item in answered(self.checklist)
        ]
        intro = self._wrapped(self.contract.answers_intro, doc.epw, 8.5)
        first_row = len(rows[0][1]) * 4.4 + 2 if rows else 0
        self.heading(_(ANSWERS_HEADING), keep_with=len(intro) * 4 + 12 + first_row)
        doc.style(8.5, color=MUTED)
        doc.lines_at(doc.l_margin, intro, 4)
        for section, group in grouped(rows, lambda r: r[0]):
            self.section_heading(section, keep_with=len(group[0][1]) * 4.4 + 2)
            for _item, lines, state in group:
                self._answer_row(lines, state, answer_x)
        doc.ln(3)
        doc.style(9)
        lines = doc.wrap(self.t(not_assessed_text(self.contract, self.checklist)), doc.epw)
        doc.lines_at(doc.l_margin, lines, 4.4)

    def _answer_row(self, lines: list[str], state: AnswerState | None, answer_x: float) -> None:
        doc = self.doc
        height = len(lines) * 4.4 + 2
        doc.ensure_room(height)
        top = doc.y
        if state == "not_assessed":
            doc.set_fill_color(*TINT)
            doc.rect(doc.l_margin, top, doc.epw, height, style="F")
        doc.set_y(top + 1)
        doc.style(9, color=INK if state is not None else MUTED)
        doc.lines_at(doc.l_margin + 1.5, lines, 4.4)
        doc.set_xy(doc.l_margin + answer_x, top + 1)
        doc.style(9, bold=state is not None, color=INK if state is not None else MUTED)
        doc.cell(30, 4.4, row_answer(state))
        doc.set_y(top + height)
        doc.hairline(doc.y)

    def notes_and_sign_off(self) -> None:
        doc = self.doc
        self.heading(_(NOTES_HEADING), keep_with=8 * 7 + 34)
        doc.set_draw_color(*RULE_LINE)
        doc.set_line_width(0.25)
        for _line in range(7):
            doc.set_y(doc.y + 8)
            doc.line(doc.l_margin, doc.y, doc.l_margin + doc.epw, doc.y)
        doc.ln(8)
        doc.style(10.5, bold=True, color=ACCENT)
        doc.cell(0, 6, _(SIGN_OFF_HEADING), new_x="LMARGIN", new_y="NEXT")
        doc.ln(9)
        fields = zip(
            [_(caption) for caption in SIGN_OFF_CAPTIONS],
            (self.t(self.answers.clinician or ""), "", ""),
            (80.0, 55.0, doc.epw - 80 - 55 - 12),
            strict=True,
        )
        x, y = doc.l_margin, doc.y
        for caption, value, width in fields:
            doc.style(10)
            doc.set_xy(x, y - 5.5)
            doc.cell(width, 5, doc.fitted(value, width))
            doc.set_draw_color(*MUTED)
            doc.line(x, y, x + width, y)
            doc.style(7.5, color=MUTED)
            doc.set_xy(x, y + 0.8)
            doc.cell(width, 4, caption)
            x += width + 6
        doc.set_y(y + 7)

    def references(self) -> None:
        doc = self.doc
        width = doc.epw - 34
        blocks = []
        sources = self.checklist.cited
        for source in sources:
            id_lines = self._wrapped(self.t(source.id), 31, 8, bold=True)
            blocks.append(
                (id_lines, self._wrapped(self.t(reference_text(self.contract, source)), width, 8.5))
            )
        first = max(len(blocks[0][0]), len(blocks[0][1])) * 4 + 2 if blocks else 0
        self.heading(_(REFERENCES_HEADING), keep_with=first)
        background = background_source(self.contract, sources)
        note = self._wrapped(self.contract.background_note or "", width, 8) if background else []
        for source, (id_lines, text_lines) in zip(sources, blocks, strict=True):
            below = note if source.id == background else []
            doc.ensure_room(max(len(id_lines), len(text_lines) + len(below)) * 4 + 2)
            top = doc.y
            doc.style(8, bold=True, color=ACCENT)
            doc.lines_at(doc.l_margin, id_lines, 4)
            doc.set_y(top)
            doc.style(8.5)
            doc.lines_at(doc.l_margin + 34, text_lines, 4)
            doc.style(8, color=ACCENT)
            doc.lines_at(doc.l_margin + 34, below, 4)
            doc.set_y(max(doc.y, top + len(id_lines) * 4) + 2)

    def about(self, record_name: str, fingerprint: str, generator: str) -> None:
        """The closing page, written for whoever reads the document in a chart later."""
        doc = self.doc
        self.heading(_(ABOUT_HEADING), keep_with=50)
        for paragraph in self.contract.about:
            doc.style(9.5)
            doc.lines_at(doc.l_margin, doc.wrap(paragraph.format(name=record_name), doc.epw), 4.8)
            doc.ln(2)
        small_print = [made_by(generator, self.checklist.rule_set)]
        if doc.replaced_characters:
            small_print.append(_(REPLACED_NOTE))
        if self.contract.command:
            small_print.append(self.contract.command)
        for paragraph in small_print:
            doc.style(7.5, color=MUTED)
            doc.lines_at(doc.l_margin, doc.wrap(self.t(paragraph), doc.epw), 3.8)
            doc.ln(1.2)
        doc.ensure_room(10)
        doc.style(7.5, color=MUTED)
        doc.cell(0, 3.8, _(FINGERPRINT_LABEL))
        doc.ln(3.8)
        doc.style(8, bold=True)
        doc.cell(0, 4, fingerprint)
        doc.ln(4)


def grouped(rows: Sequence[Any], key: Any) -> Iterator[tuple[str, list[Any]]]:
    """Rows grouped by section, sections in the order they first appear."""
    groups: dict[str, list[Any]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    yield from groups.items()


def draw_checklist(
    answers: AnswersFile,
    checklist: Checklist,
    *,
    record_name: str,
    fingerprint: str,
    generator: str,
) -> ChecklistDocument:
    """Lay the whole document out; the caller adds the record and writes the bytes."""
    doc = ChecklistDocument()
    doc.set_title(_(DOCUMENT_TITLE))
    doc.set_creator(generator)
    doc.set_lang(active_language())
    contract = CONTRACTS[CURRENT_FORMAT]
    doc.running_head = doc.printable(running_head(contract, answers, checklist.rule_set))
    band = draft_band(contract, checklist.rule_set)
    doc.draft_band = doc.printable(band) if band else None
    layout = _Layout(doc, answers, checklist)
    doc.add_page()
    layout.title()
    layout.details()
    layout.checklist_entries()
    layout.answers_given()
    layout.notes_and_sign_off()
    layout.references()
    layout.about(record_name, fingerprint, generator)
    return doc
