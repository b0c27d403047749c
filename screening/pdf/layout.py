"""Page layout of the checklist PDF, part by part: title and details, the Checklist (summary,
what the sources say, the entries), the answers given, notes and sign-off, references, and
the closing page about the embedded record.

The words printed around the data come from the page contract of the current record format
(`contract.py`), which `verify` reads back; the pages are drawn in the language of the render.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from screening.algebra import NOT_ASSESSED
from screening.catalogue import _, active_language
from screening.models import AnswersFile, AnswerState, Checklist
from screening.pdf.contract import (
    ABOUT_HEADING,
    ANSWERS_HEADING,
    CHECKLIST_HEADING,
    CONTRACTS,
    CURRENT_FORMAT,
    DETAILS_NOTE,
    DOCUMENT_TITLE,
    FINGERPRINT_LABEL,
    KICKER,
    NOTES_HEADING,
    REFERENCES_HEADING,
    REPLACED_NOTE,
    SIGN_OFF_CAPTIONS,
    SIGN_OFF_HEADING,
    TITLE,
    answered,
    background_source,
    details_rows,
    draft_band,
    made_by,
    not_assessed_text,
    reference_text,
    row_answer,
    running_head,
    section_blocks,
    statement_lines,
    summary_text,
)
from screening.pdf.document import (
    ACCENT,
    INK,
    MUTED,
    RULE_LINE,
    TINT,
    ChecklistDocument,
)
from screening.pdf.entries import EntryBlocks


class _Layout(EntryBlocks):
    """Draws one checklist into a `ChecklistDocument`, top to bottom."""

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
        if state == NOT_ASSESSED:
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
