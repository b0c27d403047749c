"""The Checklist part of the PDF, entry by entry: a point raised in full (kind, text, what
its sources say, note, "Because" line, rule line); an open point compact, grouped under the
question whose answer would settle it. An entry is measured before it is drawn, so that it
never splits over two pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from screening.models import Entry
from screening.open_entries import entry_headline
from screening.pdf.blocks import Blocks
from screening.pdf.contract import (
    KIND_LABELS,
    SectionBlock,
    because_text,
    note_text,
    open_because,
    rule_and_sources,
    statement_lines,
)
from screening.pdf.document import ACCENT, INK, MUTED
from screening.statements import group_statements


@dataclass(frozen=True)
class EntryParts:
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


class EntryBlocks(Blocks):
    """Draws the entries of the Checklist part."""

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

    def _entry_parts(self, entry: Entry) -> EntryParts:
        width = self.doc.epw - self.TEXT_X
        note = note_text(self.contract, entry)
        return EntryParts(
            self._wrapped(self.t(entry.text), width, 10),
            self._wrapped(self.t(note), width, 9.5) if note else [],
            self._wrapped(self.t(because_text(entry, self.label)), width, 8.5),
            self._wrapped(self.t(rule_and_sources(entry)), width, 8),
            said=self._said(entry, width, 9),
        )

    def entry(self, entry: Entry, parts: EntryParts) -> None:
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

    def _open_parts(self, entry: Entry) -> EntryParts:
        width = self.doc.epw - self.OPEN_X
        note = note_text(self.contract, entry)
        because = because_text(entry, self.label) if open_because(entry) else None
        return EntryParts(
            self._wrapped(self.t(entry_headline(entry)), width, 9),
            self._wrapped(self.t(note), width, 9) if note else [],
            self._wrapped(self.t(because), width, 7.5) if because else [],
            self._wrapped(self.t(rule_and_sources(entry)), width, 7),
            compact=True,
        )  # its statements come once under its group (`open_groups`)

    def open_entry(self, entry: Entry, parts: EntryParts) -> None:
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
            heading = 5.5 if first and block.labelled else 0
            whole = sum(p.height for p in parts) + sum(len(w) * 3.8 + 0.4 for w in said)
            # the group never splits: if it does not fit in the space left, it starts on the
            # next page (a group taller than a page starts on a page of its own)
            doc.ensure_room(heading + len(question) * 4.4 + 0.6 + whole)
            if first and self.contract.open_heading and block.labelled:
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
