"""What the pages of a checklist PDF show for its record, part by part, as its format's
contract (`contract.CONTRACTS`) prints them, in the language the record names: the expected
text that `pages.check_pages` reads the pages against.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from screening.catalogue import N_, Said, _
from screening.logic import asked_states
from screening.models import AnswersFile, Checklist, Entry, RulePack
from screening.open_entries import entry_headline
from screening.pdf.contract import (
    ABOUT_HEADING,
    ANSWERS_HEADING,
    CHECKLIST_HEADING,
    DETAILS_NOTE,
    FINGERPRINT_LABEL,
    KICKER,
    KIND_LABELS,
    NOTES_HEADING,
    REFERENCES_HEADING,
    REPLACED_NOTE,
    SIGN_OFF_CAPTIONS,
    SIGN_OFF_HEADING,
    TITLE,
    PageContract,
    answered,
    background_source,
    because_text,
    details_rows,
    made_by,
    not_assessed_text,
    note_text,
    open_because,
    reference_text,
    row_answer,
    rule_and_sources,
    section_blocks,
    statement_lines,
    summary_text,
)
from screening.pdf.layout import grouped
from screening.pdf.record import RECORD_NAME, PdfRecord, shown
from screening.statements import group_statements


def _item_label(pack: RulePack, item_id: str) -> str:
    """An item's name in "Because" lines of earlier formats; its id if the pack lacks it."""
    return pack.item(item_id).label if pack.has_item(item_id) else item_id


def fold(text: str) -> str:
    """Text as the pages print it, without what layout changes: spaces, line breaks, and the
    control and format characters that `ChecklistDocument.printable` drops."""
    return "".join(
        c
        for c in unicodedata.normalize("NFC", text)
        if not c.isspace() and unicodedata.category(c) not in ("Cc", "Cf")
    )


_QUESTION = N_("the question of item {id}")
_ANSWER = N_("the answer to item {id}")


@dataclass(frozen=True)
class Part:
    """A stretch of expected page text, named for the message if the pages differ.

    `anchor`: contract words distinct enough to find again after a difference. `shortened`:
    may be cut with an ellipsis, and ends where the next part (an anchor) starts. `unread`:
    not checkable here, skipped up to the next part (an anchor). `optional`: may be absent.
    """

    what: str
    """What the stretch is, for a message (a `Said`, worded when the message is shown)."""
    text: str
    anchor: bool = False
    shortened: bool = False
    unread: bool = False
    optional: bool = False


def expected_parts(
    record: PdfRecord, pack: RulePack | None, contract: PageContract, entries_readable: bool
) -> list[Part]:
    """The text of the pages below the running heads and above the footers, in order."""
    answers, checklist = record.answers, record.checklist
    parts = [
        Part(Said(N_("the title")), fold(_(KICKER) + _(TITLE)), anchor=True),
        Part(Said(N_("the disclaimer")), fold(_(checklist.disclaimer))),
    ]
    for label, value in details_rows(answers, record.rule_set):
        what = Said(N_("the {label}"), label=label.rstrip(":").lower())
        parts += [Part(what, fold(label), anchor=True), Part(what, fold(value))]
    parts += [
        Part(
            Said(N_("the note under the details")),
            fold(_(DETAILS_NOTE) + _(CHECKLIST_HEADING)),
            anchor=True,
        ),
        Part(Said(N_("the checklist summary")), fold(summary_text(checklist))),
    ]
    parts += _top_parts(checklist, contract)
    if entries_readable:
        parts += _entry_parts(checklist, pack, contract)
    else:
        parts.append(Part(Said(N_("the checklist entries")), "", unread=True))
    answers_intro = fold(_(ANSWERS_HEADING) + contract.answers_intro)
    parts.append(Part(Said(N_("the Answers section")), answers_intro, anchor=True))
    if contract.from_checklist:
        parts += _answers_parts(checklist, contract)
    elif pack is not None:
        parts += _pack_answers_parts(pack, answers)
    else:
        parts.append(Part(Said(N_("the answers")), "", unread=True))
    sign_off = fold(_(NOTES_HEADING) + _(SIGN_OFF_HEADING))
    captions = fold("".join(_(c) for c in SIGN_OFF_CAPTIONS) + _(REFERENCES_HEADING))
    parts += [
        Part(Said(N_("the Notes and Sign-off part")), sign_off, anchor=True),
        Part(
            Said(N_("the clinician in the sign-off")), fold(answers.clinician or ""), shortened=True
        ),
        Part(Said(N_("the sign-off")), captions, anchor=True),
    ]
    parts += _references_parts(record, pack, contract)
    return parts + _closing_parts(record, contract)


def _references_parts(
    record: PdfRecord, pack: RulePack | None, contract: PageContract
) -> list[Part]:
    """Each source the format lists, with the note under the first background source."""
    checklist = record.checklist
    sources = checklist.cited if contract.from_checklist else pack.sources if pack else None
    if sources is None:
        return [Part(Said(N_("the references")), "", unread=True)]
    parts = []
    background = background_source(contract, sources)
    for source in sources:
        text = fold(source.id + reference_text(contract, source))
        parts.append(Part(Said(N_("the reference {id}"), id=source.id), text))
        if source.id == background:
            note = fold(contract.background_note or "")
            parts.append(Part(Said(N_("the note on background reading")), note))
    return parts


def _closing_parts(record: PdfRecord, contract: PageContract) -> list[Part]:
    """The closing page: about the embedded record, who made it, the fingerprint."""
    about = [fold(paragraph.format(name=RECORD_NAME)) for paragraph in contract.about]
    parts = [
        Part(
            Said(N_("the note about the embedded record")),
            fold(_(ABOUT_HEADING)) + about[0],
            anchor=True,
        ),
        *(Part(Said(N_("the closing page")), text) for text in about[1:]),
        Part(Said(N_("the 'Made by' line")), fold(made_by(record.generator, record.rule_set))),
        Part(Said(N_("the note on characters not drawn")), fold(_(REPLACED_NOTE)), optional=True),
    ]
    if contract.command:
        parts.append(Part(Said(N_("the command line in small print")), fold(contract.command)))
    parts.append(
        Part(
            Said(N_("the checklist fingerprint")),
            fold(_(FINGERPRINT_LABEL) + record.checklist_sha256),
            anchor=True,
        )
    )
    return parts


def _top_parts(checklist: Checklist, contract: PageContract) -> list[Part]:
    """Under the summary (format 4 on): the note on points not listed, then what the sources
    say, each statement once."""
    parts = []
    if contract.absent_note:
        parts.append(Part(Said(N_("the note on points not listed")), fold(contract.absent_note)))
    said = statement_lines(contract, checklist.statements)
    open_said = statement_lines(contract, checklist.open_statements)
    if (said or open_said) and contract.statements_heading:
        heading = contract.statements_heading + (contract.statements_intro or "")
        parts.append(Part(Said(N_("the heading of what the sources say")), fold(heading)))
        parts += [
            Part(Said(N_("a statement in what the sources say")), fold("\u2022" + t)) for t in said
        ]
    if open_said and contract.open_statements_heading:
        heading = contract.open_statements_heading + (contract.open_statements_intro or "")
        heading_what = N_("the heading of what the sources say if an open question is answered so")
        parts.append(Part(Said(heading_what), fold(heading)))
        what = N_("a statement in what the sources say if an open question is answered so")
        parts += [Part(Said(what), fold("\u2022" + t)) for t in open_said]
    return parts


def _answers_parts(checklist: Checklist, contract: PageContract) -> list[Part]:
    """The Answers part as a format that prints from the checklist writes it: the items
    answered, then the items not assessed by name."""
    parts: list[Part] = []
    for section, items in grouped(answered(checklist), lambda i: i.section):
        parts.append(Part(Said(N_("a section heading in the Answers section")), fold(section)))
        for item in items:
            parts += [
                Part(Said(_QUESTION, id=item.id), fold(item.question)),
                Part(Said(_ANSWER, id=item.id), fold(row_answer(item.state))),
            ]
    text = fold(not_assessed_text(contract, checklist))
    return [*parts, Part(Said(N_("the list of items not assessed")), text)]


def _pack_answers_parts(pack: RulePack, answers: AnswersFile) -> list[Part]:
    """The Answers part of earlier formats: a row for every item of the pack."""
    states = asked_states(pack, answers.answers)
    parts: list[Part] = []
    for section, items in grouped(list(pack.items), lambda i: i.section):
        parts.append(Part(Said(N_("a section heading in the Answers section")), fold(section)))
        for item in items:
            parts += [
                Part(Said(_QUESTION, id=item.id), fold(item.question)),
                Part(Said(_ANSWER, id=item.id), fold(row_answer(states.get(item.id)))),
            ]
    return parts


def _entry_parts(checklist: Checklist, pack: RulePack | None, contract: PageContract) -> list[Part]:
    """Each section's heading, then its entries in full (kind, text, "Because" line, rule
    line), then, in formats that group them, its open entries under their question.

    Item names and questions come from the checklist in formats that print from it, else
    from the pack that made the PDF: without it, unread.
    """
    label: Callable[[str], str] | None = None
    question: Callable[[str], str] | None = None
    if contract.from_checklist:
        label, question = checklist.label, checklist.question
    elif pack is not None:
        label = partial(_item_label, pack)
    parts: list[Part] = []
    for block in section_blocks(contract, checklist):
        heading = Said(N_("the section heading {section}"), section=shown(block.section))
        parts.append(Part(heading, fold(block.section)))
        for entry in block.raised:
            parts += _full_entry(entry, label, contract)
        if block.open_groups and contract.open_heading and block.labelled:
            parts.append(
                Part(
                    Said(N_("the heading of the open entries")), fold(contract.open_heading.upper())
                )
            )
        for item_id, group in block.open_groups:
            what = Said(N_("the question heading open entries on item {id}"), id=shown(item_id))
            if question is not None:
                parts.append(Part(what, fold(contract.find_out.format(question=question(item_id)))))
            else:
                parts.append(Part(what, "", unread=True))
            for entry in group:
                parts += _open_entry(entry, label, contract)
            said = statement_lines(contract, group_statements(group))
            what = Said(
                N_("a source statement of the open entries on item {id}"), id=shown(item_id)
            )
            parts += [Part(what, fold(text)) for text in said]
    return parts


def _full_entry(
    entry: Entry, label: Callable[[str], str] | None, contract: PageContract
) -> list[Part]:
    name = shown(entry.rule_id)
    mark = contract.done_mark if entry.done and contract.done_mark else ""
    kind = N_("the tick and kind of entry {id}") if mark else N_("the kind of entry {id}")
    parts = [
        Part(Said(kind, id=name), mark + KIND_LABELS[entry.kind]),
        Part(Said(N_("the text of entry {id}"), id=name), fold(entry.text)),
        *_said_parts(entry, contract),
    ]
    return parts + _entry_tail(entry, label, contract, because=True)


def _said_parts(entry: Entry, contract: PageContract) -> list[Part]:
    """What the entry's sources say, one line each, under its text (format 4 on)."""
    what = Said(N_("a source statement of entry {id}"), id=shown(entry.rule_id))
    return [Part(what, fold(text)) for text in statement_lines(contract, entry.source_says)]


def _open_entry(
    entry: Entry, label: Callable[[str], str] | None, contract: PageContract
) -> list[Part]:
    mark = contract.done_mark if entry.done and contract.done_mark else ""
    text = N_("the tick and text of entry {id}") if mark else N_("the text of entry {id}")
    parts = [
        Part(Said(text, id=shown(entry.rule_id)), fold(mark + entry_headline(entry))),
    ]  # its statements come once under its group (`_entry_parts`)
    return parts + _entry_tail(entry, label, contract, because=open_because(entry))


def _entry_tail(
    entry: Entry, label: Callable[[str], str] | None, contract: PageContract, *, because: bool
) -> list[Part]:
    """An entry's note, its "Because" line when printed, and its rule line."""
    name = shown(entry.rule_id)
    because_line = Said(N_("the 'Because' line of entry {id}"), id=name)
    parts: list[Part] = []
    note = note_text(contract, entry)
    if note:
        parts.append(Part(Said(N_("the note of entry {id}"), id=name), fold(note)))
    if because and label is not None:
        parts.append(Part(because_line, fold(because_text(entry, label))))
    elif because:
        parts += [Part(because_line, "Because:"), Part(because_line, "", unread=True)]
    rule_line = Said(N_("the rule line of entry {id}"), id=name)
    parts.append(Part(rule_line, fold(rule_and_sources(entry)), anchor=True))
    return parts
