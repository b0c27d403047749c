"""Reading a checklist PDF's pages by their text, against the page contract of its format.

Used for a file this release did not make (another release, or another pack): such a file
cannot be rendered again, so its pages' text is read back and compared, part by part, with
what its format's contract (`contract.CONTRACTS`) prints for its record. The comparison
allows only what text extraction and the writer's fitting change: layout (spaces and line
breaks are folded away), right-to-left runs that pypdf gives back reordered, a character
the fonts lacked printed as U+FFFD, and a line shortened with an ellipsis. After a
difference the reading goes on from the next part it can find, so that one refusal lists
every part that differs.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from screening.catalogue import _
from screening.errors import ExportError, Problem
from screening.logic import asked_states
from screening.models import AnswersFile, Checklist, Entry, RulePack
from screening.open_entries import entry_headline
from screening.pdf.contract import (
    ABOUT_HEADING,
    ANSWERS_HEADING,
    CHECKLIST_HEADING,
    CONTRACTS,
    DETAILS_NOTE,
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
    PageContract,
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
from screening.pdf.layout import grouped
from screening.pdf.record import RECORD_NAME, PdfRecord, listed, shown
from screening.statements import group_statements


def _item_label(pack: RulePack, item_id: str) -> str:
    """An item's name in "Because" lines of earlier formats; its id if the pack lacks it."""
    return pack.item(item_id).label if pack.has_item(item_id) else item_id


_RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
"""Where pypdf reverses text, with the neutral marks after it; see also `_reordered`."""
_RUNS = re.compile(r"[A-Za-z]|[^A-Za-z]+")
"""Latin letters, and the runs between them; extraction reorders text only within a run."""


def _rule_ids() -> re.Pattern[str]:
    """An entry's last line, "Rule <id> · Sources: ...", as `_fold` leaves it, in the language
    of the pages."""
    line = re.escape(_fold(_("Rule {rule} · Sources: {sources}")))
    rule = line.replace(r"\{rule\}", "([a-z][a-z0-9_-]*)")
    return re.compile(rule[: rule.index(r"\{sources\}")])


_MOST_PROBLEMS = 12
"""Differences listed one per line before the rest are counted in one."""
_DIFFERS = "differs from the embedded record"
_DIFFER = "differ from the embedded record"
UNCHECKED_WITHOUT_PACK = (
    "the item names and answers printed on the pages, and the references: checking them needs "
    "the rule pack that made this PDF (verify FILE.pdf --rules ITS_FOLDER)"
)


def _fold(text: str) -> str:
    """Text as the pages print it, without what layout changes: spaces, line breaks, and the
    control and format characters that `ChecklistDocument.printable` drops."""
    return "".join(
        c
        for c in unicodedata.normalize("NFC", text)
        if not c.isspace() and unicodedata.category(c) not in ("Cc", "Cf")
    )


def _agrees(printed: str, expected: str) -> bool:
    """Whether folded page text shows the folded expected text.

    A character the fonts lacked prints as U+FFFD; right-to-left text comes back from the page
    reordered within its run, so such a run is compared as a multiset of characters.
    """
    if printed == expected:
        return True
    ours, theirs = _RUNS.findall(printed), _RUNS.findall(expected)
    return len(ours) == len(theirs) and all(
        _same_run(mine, wanted) for mine, wanted in zip(ours, theirs, strict=True)
    )


def _same_run(printed: str, expected: str) -> bool:
    if len(printed) != len(expected):
        return False
    if not _reordered(printed + expected):
        return all(
            mine == wanted or (mine == REPLACEMENT and not wanted.isascii())
            for mine, wanted in zip(printed, expected, strict=True)
        )
    not_printed = Counter(expected) - Counter(printed)
    not_expected = Counter(printed) - Counter(expected)
    return set(not_expected) <= {REPLACEMENT} and all(not c.isascii() for c in not_printed)


def _reordered(text: str) -> bool:
    """Whether text extraction may give this run in another order: it holds right-to-left
    script, by pypdf's ranges or by Unicode's bidirectional class."""
    return _RIGHT_TO_LEFT.search(text) is not None or any(
        unicodedata.bidirectional(c) in ("R", "AL") for c in text
    )


def _agrees_shortened(printed: str, expected: str) -> bool:
    """Like `_agrees`, for a line that may have been cut to fit and ended with an ellipsis."""
    if _agrees(printed, expected):
        return True
    cut = printed.rfind("…")
    if cut < 0:
        return False
    kept = printed[:cut] + printed[cut + 1 :]
    return len(kept) < len(expected) and _agrees(kept, expected[: len(kept)])


@dataclass(frozen=True)
class _Part:
    """A stretch of expected page text, named for the message if the pages differ.

    `anchor`: contract words distinct enough to find again after a difference. `shortened`:
    may be cut with an ellipsis, and ends where the next part (an anchor) starts. `unread`:
    not checkable here, skipped up to the next part (an anchor). `optional`: may be absent.
    """

    what: str
    text: str
    anchor: bool = False
    shortened: bool = False
    unread: bool = False
    optional: bool = False


def check_pages(
    page_texts: list[str], record: PdfRecord, pack: RulePack | None, source: str
) -> tuple[str, ...]:
    """Raise `ExportError` unless every page shows what the record holds; return what could
    not be checked. `pack` is the pack that made the PDF, when it is the current one."""
    bodies: list[str] = []
    problems: list[str] = []
    bad_heads: list[int] = []
    bad_bands: list[int] = []
    footers: list[tuple[int, int] | None] = []
    contract = spoken(CONTRACTS[record.format_version])
    head = _fold(running_head(contract, record.answers, record.rule_set))
    band = draft_band(contract, record.rule_set)
    for number, text in enumerate(page_texts, start=1):
        lines = [line for line in text.splitlines() if line.strip()]
        if len(lines) < 1 + (band is not None):
            message = (
                f"page {number} has no text that can be read, so the pages cannot be checked "
                "against the embedded record"
            )
            raise ExportError([Problem(source, message)])
        if band is not None:
            if not _agrees_shortened(_fold(lines[0]), _fold(band)):
                bad_bands.append(number)
            lines = lines[1:]
        footers.append(_page_number(lines[-1]))
        if number > 1 and not _agrees_shortened(_fold(lines[0]), head):
            bad_heads.append(number)
        bodies.append("".join(_fold(line) for line in lines[1 if number > 1 else 0 : -1]))
    problems.extend(_numbering_problems(footers))
    if bad_bands:
        problems.append(f"the draft band of {_pages(bad_bands)} {_DIFFERS}")
    if bad_heads:
        problems.append(f"the running head of {_pages(bad_heads)} {_DIFFERS}")
    printed = "".join(bodies)
    entries_problem = _entries_problem(printed, record.checklist, contract)
    if entries_problem:
        problems.append(entries_problem)
    parts = _expected_parts(record, pack, contract, entries_readable=entries_problem is None)
    problems.extend(_differences(printed, parts))
    if problems:
        if len(problems) > _MOST_PROBLEMS:
            rest = len(problems) - _MOST_PROBLEMS + 1
            problems[_MOST_PROBLEMS - 1 :] = [f"{rest} more parts of the pages {_DIFFER}"]
        raise ExportError(
            [Problem(source, f"{problem}: the file has been altered") for problem in problems]
        )
    return () if pack is not None or contract.from_checklist else (UNCHECKED_WITHOUT_PACK,)


def _page_number(line: str) -> tuple[int, int] | None:
    """The "Page n of m" a page's last line ends with, if it is the footer."""
    folded, footer = _fold(line), _fold(_(FOOTER_TEXT))
    page = re.escape(_fold(_("Page {page} of "))).replace(r"\{page\}", r"(\d{1,4})")
    found = re.fullmatch(page + r"(\d{1,4})", folded.removeprefix(footer))
    return (int(found[1]), int(found[2])) if found and folded.startswith(footer) else None


def _numbering_problems(footers: list[tuple[int, int] | None]) -> list[str]:
    """Every page ends with the footer, numbered 1 to the number of pages in the file."""
    total = len(footers)
    missing = [n for n, footer in enumerate(footers, start=1) if footer is None]
    if missing:
        verb = "do" if len(missing) > 1 else "does"
        return [f"{_pages(missing)} {verb} not end with the footer and its page number"]
    counted = {footer[1] for footer in footers if footer is not None}
    if counted != {total}:
        claimed = " or ".join(map(str, sorted(counted)))
        return [
            f"the footers count {claimed} pages, the file has {total}: pages were removed or added"
        ]
    numbers = [footer[0] for footer in footers if footer is not None]
    if numbers != list(range(1, total + 1)):
        return [f"the pages are out of order: numbered {', '.join(map(str, numbers))}"]
    return []


def _pages(numbers: list[int]) -> str:
    return f"page{'s' if len(numbers) > 1 else ''} {', '.join(map(str, numbers))}"


def _entries_problem(printed: str, checklist: Checklist, contract: PageContract) -> str | None:
    """Whether the "Rule <id>" lines of the Checklist section list the record's entries, in
    the order the format prints them; the kind of each is then checked with its text."""
    start = printed.find(_fold(_(DETAILS_NOTE) + _(CHECKLIST_HEADING)))
    end = printed.find(_fold(_(ANSWERS_HEADING) + contract.answers_intro), start)
    if start < 0 or end < 0:
        return None
    printed_ids = _rule_ids().findall(printed, start, end)
    recorded = [e.rule_id for b in section_blocks(contract, checklist) for e in b.entries]
    if printed_ids == recorded:
        return None
    differences = [
        f"{label}: {listed(ids)}"
        for label, ids in (
            ("not on the pages", [shown(r) for r in recorded if r not in printed_ids]),
            ("not in the record", [r for r in printed_ids if r not in recorded]),
        )
        if ids
    ]
    if not differences:
        same_ids = sorted(printed_ids) == sorted(recorded)
        differences = ["in another order" if same_ids else "some listed more than once"]
    return (
        f"the pages list {len(printed_ids)} checklist entries, the embedded record "
        f"{len(recorded)}: {'; '.join(differences)}"
    )


def _expected_parts(
    record: PdfRecord, pack: RulePack | None, contract: PageContract, entries_readable: bool
) -> list[_Part]:
    """The text of the pages below the running heads and above the footers, in order."""
    answers, checklist = record.answers, record.checklist
    parts = [
        _Part("the title", _fold(_(KICKER) + _(TITLE)), anchor=True),
        _Part("the disclaimer", _fold(_(checklist.disclaimer))),
    ]
    for label, value in details_rows(answers, record.rule_set):
        what = f"the {label.rstrip(':').lower()}"
        parts += [_Part(what, _fold(label), anchor=True), _Part(what, _fold(value))]
    parts += [
        _Part(
            "the note under the details", _fold(_(DETAILS_NOTE) + _(CHECKLIST_HEADING)), anchor=True
        ),
        _Part("the checklist summary", _fold(summary_text(checklist))),
    ]
    parts += _top_parts(checklist, contract)
    if entries_readable:
        parts += _entry_parts(checklist, pack, contract)
    else:
        parts.append(_Part("the checklist entries", "", unread=True))
    answers_intro = _fold(_(ANSWERS_HEADING) + contract.answers_intro)
    parts.append(_Part("the Answers section", answers_intro, anchor=True))
    if contract.from_checklist:
        parts += _answers_parts(checklist, contract)
    elif pack is not None:
        parts += _pack_answers_parts(pack, answers)
    else:
        parts.append(_Part("the answers", "", unread=True))
    sign_off = _fold(_(NOTES_HEADING) + _(SIGN_OFF_HEADING))
    captions = _fold("".join(_(c) for c in SIGN_OFF_CAPTIONS) + _(REFERENCES_HEADING))
    parts += [
        _Part("the Notes and Sign-off part", sign_off, anchor=True),
        _Part("the clinician in the sign-off", _fold(answers.clinician or ""), shortened=True),
        _Part("the sign-off", captions, anchor=True),
    ]
    sources = checklist.cited if contract.from_checklist else pack.sources if pack else None
    if sources is not None:
        background = background_source(contract, sources)
        for source in sources:
            text = _fold(source.id + reference_text(contract, source))
            parts.append(_Part(f"the reference {source.id}", text))
            if source.id == background:
                note = _fold(contract.background_note or "")
                parts.append(_Part("the note on background reading", note))
    else:
        parts.append(_Part("the references", "", unread=True))
    about = [_fold(paragraph.format(name=RECORD_NAME)) for paragraph in contract.about]
    parts += [
        _Part(
            "the note about the embedded record", _fold(_(ABOUT_HEADING)) + about[0], anchor=True
        ),
        *(_Part("the closing page", text) for text in about[1:]),
        _Part("the 'Made by' line", _fold(made_by(record.generator, record.rule_set))),
        _Part("the note on characters not drawn", _fold(_(REPLACED_NOTE)), optional=True),
    ]
    if contract.command:
        parts.append(_Part("the command line in small print", _fold(contract.command)))
    parts.append(
        _Part(
            "the checklist fingerprint",
            _fold(_(FINGERPRINT_LABEL) + record.checklist_sha256),
            anchor=True,
        )
    )
    return parts


def _top_parts(checklist: Checklist, contract: PageContract) -> list[_Part]:
    """Under the summary (format 4 on): the note on points not listed, then what the sources
    say, each statement once."""
    parts = []
    if contract.absent_note:
        parts.append(_Part("the note on points not listed", _fold(contract.absent_note)))
    said = statement_lines(contract, checklist.statements)
    open_said = statement_lines(contract, checklist.open_statements)
    if (said or open_said) and contract.statements_heading:
        heading = contract.statements_heading + (contract.statements_intro or "")
        parts.append(_Part("the heading of what the sources say", _fold(heading)))
        parts += [_Part("a statement in what the sources say", _fold("\u2022" + t)) for t in said]
    if open_said and contract.open_statements_heading:
        heading = contract.open_statements_heading + (contract.open_statements_intro or "")
        what = "if an open question is answered so"
        parts.append(_Part(f"the heading of what the sources say {what}", _fold(heading)))
        parts += [
            _Part(f"a statement in what the sources say {what}", _fold("\u2022" + t))
            for t in open_said
        ]
    return parts


def _answers_parts(checklist: Checklist, contract: PageContract) -> list[_Part]:
    """The Answers part as a format that prints from the checklist writes it: the items
    answered, then the items not assessed by name."""
    parts: list[_Part] = []
    for section, items in grouped(answered(checklist), lambda i: i.section):
        parts.append(_Part("a section heading in the Answers section", _fold(section)))
        for item in items:
            parts += [
                _Part(f"the question of item {item.id}", _fold(item.question)),
                _Part(f"the answer to item {item.id}", _fold(row_answer(item.state))),
            ]
    text = _fold(not_assessed_text(contract, checklist))
    return [*parts, _Part("the list of items not assessed", text)]


def _pack_answers_parts(pack: RulePack, answers: AnswersFile) -> list[_Part]:
    """The Answers part of earlier formats: a row for every item of the pack."""
    states = asked_states(pack, answers.answers)
    parts: list[_Part] = []
    for section, items in grouped(list(pack.items), lambda i: i.section):
        parts.append(_Part("a section heading in the Answers section", _fold(section)))
        for item in items:
            parts += [
                _Part(f"the question of item {item.id}", _fold(item.question)),
                _Part(f"the answer to item {item.id}", _fold(row_answer(states.get(item.id)))),
            ]
    return parts


def _entry_parts(
    checklist: Checklist, pack: RulePack | None, contract: PageContract
) -> list[_Part]:
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
    parts: list[_Part] = []
    for block in section_blocks(contract, checklist):
        parts.append(_Part(f"the section heading {shown(block.section)}", _fold(block.section)))
        for entry in block.raised:
            parts += _full_entry(entry, label, contract)
        if block.open_groups and contract.open_heading:
            parts.append(
                _Part("the heading of the open entries", _fold(contract.open_heading.upper()))
            )
        for item_id, group in block.open_groups:
            what = f"the question heading open entries on item {shown(item_id)}"
            if question is not None:
                parts.append(
                    _Part(what, _fold(contract.find_out.format(question=question(item_id))))
                )
            else:
                parts.append(_Part(what, "", unread=True))
            for entry in group:
                parts += _open_entry(entry, label, contract)
            said = statement_lines(contract, group_statements(group))
            what = f"a source statement of the open entries on item {shown(item_id)}"
            parts += [_Part(what, _fold(text)) for text in said]
    return parts


def _full_entry(
    entry: Entry, label: Callable[[str], str] | None, contract: PageContract
) -> list[_Part]:
    name = f"entry {shown(entry.rule_id)}"
    mark = contract.done_mark if entry.done and contract.done_mark else ""
    parts = [
        _Part(f"the {'tick and ' if mark else ''}kind of {name}", mark + KIND_LABELS[entry.kind]),
        _Part(f"the text of {name}", _fold(entry.text)),
        *_said_parts(entry, contract),
    ]
    return parts + _entry_tail(entry, label, contract, because=True)


def _said_parts(entry: Entry, contract: PageContract) -> list[_Part]:
    """What the entry's sources say, one line each, under its text (format 4 on)."""
    what = f"a source statement of entry {shown(entry.rule_id)}"
    return [_Part(what, _fold(text)) for text in statement_lines(contract, entry.source_says)]


def _open_entry(
    entry: Entry, label: Callable[[str], str] | None, contract: PageContract
) -> list[_Part]:
    name = f"entry {shown(entry.rule_id)}"
    mark = contract.done_mark if entry.done and contract.done_mark else ""
    parts = [
        _Part(
            f"the {'tick and ' if mark else ''}text of {name}", _fold(mark + entry_headline(entry))
        ),
    ]  # its statements come once under its group (`_entry_parts`)
    return parts + _entry_tail(entry, label, contract, because=open_because(entry))


def _entry_tail(
    entry: Entry, label: Callable[[str], str] | None, contract: PageContract, *, because: bool
) -> list[_Part]:
    """An entry's note, its "Because" line when printed, and its rule line."""
    name = f"entry {shown(entry.rule_id)}"
    parts: list[_Part] = []
    note = note_text(contract, entry)
    if note:
        parts.append(_Part(f"the note of {name}", _fold(note)))
    if because and label is not None:
        parts.append(_Part(f"the 'Because' line of {name}", _fold(because_text(entry, label))))
    elif because:
        parts += [
            _Part(f"the 'Because' line of {name}", "Because:"),
            _Part(f"the 'Because' line of {name}", "", unread=True),
        ]
    parts.append(_Part(f"the rule line of {name}", _fold(rule_and_sources(entry)), anchor=True))
    return parts


def _differences(printed: str, parts: list[_Part]) -> list[str]:
    """The parts the printed text does not show, in order; after each difference the reading
    goes on from the next part found."""
    found: list[str] = []
    position, index = 0, 0
    while index < len(parts):
        part = parts[index]
        if part.shortened or part.unread:
            end = printed.find(parts[index + 1].text, position)
            if end < 0:
                found.append(f"cannot find {parts[index + 1].what} on the pages")
                return found
            if part.shortened and not _agrees_shortened(printed[position:end], part.text):
                found.append(f"{part.what} on the pages {_DIFFERS}")
            position, index = end, index + 1
            continue
        window = printed[position : position + len(part.text)]
        if _agrees(window, part.text):
            position, index = position + len(part.text), index + 1
            continue
        if part.optional:
            index += 1
            continue
        later = printed.find(part.text, position) if part.anchor else -1
        if later >= 0:
            found.append(
                f"the pages carry text that the embedded record does not, before {part.what}"
            )
            position, index = later + len(part.text), index + 1
            continue
        if f"{part.what} on the pages {_DIFFERS}" not in found:
            found.append(f"{part.what} on the pages {_DIFFERS}")
        anchor = next((n for n in range(index + 1, len(parts)) if parts[n].anchor), None)
        if anchor is None:
            return found
        limit = printed.find(parts[anchor].text, position)
        if limit < 0:
            found.append(f"cannot find {parts[anchor].what} on the pages")
            return found
        index, position = _resume(printed, parts, range(index + 1, anchor), position, limit)
    if position != len(printed):
        found.append("the pages carry text after the checklist fingerprint")
    return found


def _resume(
    printed: str, parts: list[_Part], between: range, start: int, limit: int
) -> tuple[int, int]:
    """Where to read on after a difference: the first part `between` the one that differed
    and the next anchor that is found before that anchor (at `limit`), or else the anchor."""
    for index in between:
        text = parts[index].text
        found = printed.find(text, start, limit) if text else -1
        if found >= 0:
            return index, found
    return between.stop, limit
