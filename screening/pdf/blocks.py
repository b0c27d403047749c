"""What every part of the checklist PDF draws with: the document, the checklist, the page
contract in the language of the render, headings, and the bar beside a block of statements.

The words printed around the data come from the page contract of the current record format
(`contract.py`), which `verify` reads back.
"""

from __future__ import annotations

from screening.models import AnswersFile, Checklist
from screening.pdf.contract import (
    CONTRACTS,
    CURRENT_FORMAT,
    spoken,
)
from screening.pdf.document import (
    ACCENT,
    ChecklistDocument,
)


class Blocks:
    """Draws into a `ChecklistDocument` for one checklist; each part of the PDF extends it."""

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

    def _wrapped(self, text: str, width: float, size: float, bold: bool = False) -> list[str]:
        self.doc.style(size, bold=bold)
        return self.doc.wrap(text, width)

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
