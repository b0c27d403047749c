"""`verify`: re-check a checklist PDF against its embedded record and the current rule pack.

Three checks, in this order, each refusing with one line per problem:

1. Structure (`structure.py`): nothing a reader could be shown besides page text, and one
   revision only. Applies to every file.
2. The record (`record.py`): read strictly; its checklist hashes to the printed fingerprint.
3. The pages. A file this release made with this pack is rendered again from its record and
   must be the same document, object for object (`_compare_with_fresh`): determinism, not
   matching. A file from another release or pack is read by its text against the page
   contract of its record format (`contract.CONTRACTS`), which every later release keeps.

Then the recorded answers are evaluated with the current pack and compared entry by entry
(`_decision`): the same points, or which are new, gone or changed, or only reworded.

Size: this module is about as long as the 0.1.0 `pdf.py` it replaces (which also held the
writer), not a third of it. Same-release files no longer rely on the text reading, but
files made by 0.1.0 (format 1) exist and can only be checked by their text, with messages
that say which part differs (`_differences`), so that reading stays until format 1 files
no longer need verifying; what is new here (structure, strict record, object comparison)
is in its own modules.
"""

from __future__ import annotations

import io
import logging
import re
import threading
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, StreamObject

from screening.engine import evaluate
from screening.errors import AnswersError, ExportError, Problem
from screening.logic import asked_states
from screening.models import AnswersFile, Checklist, Entry, RulePack, RuleSetRef
from screening.open_entries import entry_headline
from screening.pdf import record as records
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
    summary_text,
)
from screening.pdf.layout import grouped
from screening.pdf.record import RECORD_NAME, PdfRecord, altered, digest, read_record
from screening.pdf.structure import structure_problems


@dataclass(frozen=True)
class VerifyResult:
    """Whether re-evaluating a PDF's embedded answers with the current pack gives its checklist.

    Only made once the pages have been checked against the record. Rule ids list how today's
    checklist differs from the one in the file: `changed` where an entry's decision differs
    (see `_decision`), `reworded` where only its wording does. `same_checklist` holds when
    every decision, the items not assessed, the disclaimer and the patient details are the
    same. `unchecked` names what the pages show that could not be checked.
    """

    source: str
    produced_by: RuleSetRef
    current: RuleSetRef
    same_checklist: bool
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    reworded: tuple[str, ...] = ()
    answers_problem: str | None = None
    other_disclaimer: bool = False
    rerendered: bool = False
    made_by: str = ""
    unchecked: tuple[str, ...] = ()

    @property
    def matches(self) -> bool:
        """Same pack, same checklist, pages all checked: the file is what these rules make of
        these answers."""
        return (
            self.produced_by.sha256 == self.current.sha256
            and self.same_checklist
            and not self.unchecked
            and not (self.rerendered and self.reworded)
        )

    def lines(self) -> list[str]:
        """The result in words, for the command line and the app."""
        made = _pack_words(self.produced_by)
        if self.matches:
            ok = [
                f"OK: {self.source}: the checklist matches: re-evaluating the embedded answers "
                f"with {made} gives the same checklist."
            ]
            if not self.rerendered:
                ok.append(
                    f"  the pages agree with the embedded record; made by {_shown(self.made_by)}, "
                    f"so not also compared with a fresh rendering by {records.GENERATOR}"
                )
            return ok + self._reworded_lines()
        lines, now = self._heading(made)
        if self.answers_problem is not None:
            lines.append(f"  the embedded answers do not fit {now}: {self.answers_problem}")
        elif self.same_checklist:
            lines.append(f"  re-evaluated with {now}, the checklist is the same.")
        else:
            lines.append(f"  re-evaluated with {now}, the checklist differs:")
            for what, ids in (
                ("new entries", self.added),
                ("entries gone", self.removed),
                ("entries changed", self.changed),
            ):
                if ids:
                    lines.append(f"    {what}: {', '.join(ids)}")
            if self.other_disclaimer:
                lines.append("    the disclaimer is not this program's")
            elif not (self.added or self.removed or self.changed):
                lines.append("    the items not assessed or the patient details differ")
        lines += self._reworded_lines()
        lines.extend(f"  not checked: {what}" for what in self.unchecked)
        return lines

    def _heading(self, made: str) -> tuple[list[str], str]:
        """What differs, first; and what the answers were re-evaluated with."""
        if self.produced_by.sha256 != self.current.sha256:
            return [
                f"{self.source}: the rule pack has changed since this PDF was made.",
                f"  made with: {made}",
                f"  current:   {_pack_words(self.current)}",
            ], "the current pack"
        if not self.same_checklist:
            return [
                f"{self.source}: the rule pack is the same, but the program is not: made by "
                f"{_shown(self.made_by)}, re-evaluated by {records.GENERATOR}.",
                f"  rule pack: {made}",
            ], "this program"
        if self.rerendered:
            return [
                f"{self.source}: the rule pack and the program's version are the same, but the "
                "record words entries otherwise than this program does."
            ], "the current pack"
        return [f"{self.source}: parts of the pages could not be checked."], "the current pack"

    def _reworded_lines(self) -> list[str]:
        if not self.reworded:
            return []
        return [
            "  same points, worded differently today (text, rationale or citations): "
            + _ids([_shown(r) for r in self.reworded])
        ]


def _shown(text: str, limit: int = 80) -> str:
    """Text from the file on one line: controls and line breaks gone, long text shortened."""
    kept = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp"))
    one_line = " ".join(kept.split())
    return one_line if len(one_line) <= limit else one_line[: limit - 1] + "…"


def _pack_words(rs: RuleSetRef) -> str:
    return f"{_shown(rs.name)} {_shown(rs.version)} (sha256 {_shown(rs.sha256)})"


def verify_pdf(pdf_bytes: bytes, pack: RulePack, source: str) -> VerifyResult:
    """Check a PDF against its embedded record, then re-evaluate the embedded answers with
    `pack` and compare with its checklist.

    Raises `ExportError` naming `source` for anything that is not an intact checklist PDF: not
    a PDF, unreadable, anything in its structure this program never writes, no record or a
    record that disagrees with itself, or pages that do not show what the record holds. A file
    this release made with this pack must be exactly what it writes for the record; a file
    from another release, or from another pack, is read by its pages' text against the page
    contract of its record format.
    """
    reader, record, stored_checklist = _open(pdf_bytes, source)
    claimed = record.checklist
    if digest(stored_checklist) != record.checklist_sha256 or record.rule_set != claimed.rule_set:
        raise altered(source, "the embedded checklist does not match its recorded hash")
    same_pack = record.rule_set.sha256 == pack.sha256
    if same_pack and record.rule_set != _rule_set_of(pack):
        raise altered(source, "the embedded record names its rule pack unlike the pack it hashes")
    this_release = (record.generator, record.format_version) == (
        records.GENERATOR,
        records.FORMAT_VERSION,
    )
    today: Checklist | None = None
    answers_problem = None
    try:
        today = evaluate(pack, record.answers, f"{source} (embedded answers)")
    except AnswersError as exc:
        if same_pack and this_release:
            raise altered(
                source, "the embedded answers do not fit the pack that made them"
            ) from None
        answers_problem = str(exc.problems[0])
    if today is not None and this_release and claimed.disclaimer != today.disclaimer:
        raise altered(source, "the embedded checklist does not carry this program's disclaimer")
    if same_pack and this_release and today is not None and not _same_checklist(claimed, today):
        raise altered(source, "the embedded answers do not give the embedded checklist")
    rerendered = same_pack and this_release
    unchecked: tuple[str, ...] = ()
    if rerendered:
        _compare_with_fresh(reader, pack, record, source)
    else:
        pages = _page_texts(reader, source)
        unchecked = _check_pages(pages, record, pack if same_pack else None, source)
    if today is None:
        return VerifyResult(
            source=source,
            produced_by=record.rule_set,
            current=_rule_set_of(pack),
            same_checklist=False,
            answers_problem=answers_problem,
            made_by=record.generator,
            unchecked=unchecked,
        )
    old = {e.rule_id: e for e in claimed.entries}
    new = {e.rule_id: e for e in today.entries}
    common = [r for r in new if r in old]
    return VerifyResult(
        source=source,
        produced_by=record.rule_set,
        current=today.rule_set,
        same_checklist=_same_checklist(claimed, today),
        added=tuple(r for r in new if r not in old),
        removed=tuple(r for r in old if r not in new),
        changed=tuple(r for r in common if _decision(new[r]) != _decision(old[r])),
        reworded=tuple(
            r for r in common if _decision(new[r]) == _decision(old[r]) and new[r] != old[r]
        ),
        other_disclaimer=claimed.disclaimer != today.disclaimer,
        rerendered=rerendered,
        made_by=record.generator,
        unchecked=unchecked,
    )


def _decision(entry: Entry) -> tuple[Any, ...]:
    """What an entry says about the patient's record: which rule raised it as what, from which
    answers, citing which sources, and what was marked. Its wording (text, rationale and
    citations) is the pack's and the program's, and may change without changing this."""
    return (
        entry.rule_id,
        entry.kind,
        entry.section,
        entry.because,
        entry.open_items,
        tuple(s.id for s in entry.sources),
        entry.done,
        entry.note,
    )


def _same_checklist(claimed: Checklist, today: Checklist) -> bool:
    """The same decisions for every entry (`_decision`), the same items not assessed, the
    same disclaimer, and the same patient details where the record holds them."""
    if_recorded = ("patient_reference", "clinician", "date")
    return (
        [_decision(e) for e in claimed.entries] == [_decision(e) for e in today.entries]
        and claimed.not_assessed == today.not_assessed
        and claimed.disclaimer == today.disclaimer
        and all(
            getattr(claimed, name) == getattr(today, name)
            for name in if_recorded
            if name in claimed.model_fields_set
        )
    )


def _rule_set_of(pack: RulePack) -> RuleSetRef:
    meta = pack.meta
    return RuleSetRef(name=meta.name, version=meta.version, status=meta.status, sha256=pack.sha256)


def _item_label(pack: RulePack, item_id: str) -> str:
    """An item's name in "Because" lines of earlier formats; its id if the pack lacks it."""
    return pack.item(item_id).label if pack.has_item(item_id) else item_id


# Reading the pages against the record --------------------------------------------------------

_RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
"""Where pypdf reverses text, with the neutral marks after it; see also `_reordered`."""
_RUNS = re.compile(r"[A-Za-z]|[^A-Za-z]+")
"""Latin letters, and the runs between them; extraction reorders text only within a run."""
_RULE_IDS = re.compile(r"Rule([a-z][a-z0-9_-]*)·Sources:")
"""An entry's last line, "Rule <id> · Sources: ...", as `_fold` leaves it."""
_MOST_PROBLEMS = 12
"""Differences listed one per line before the rest are counted in one."""
_DIFFERS = "differs from the embedded record"
_DIFFER = "differ from the embedded record"
_UNCHECKED_WITHOUT_PACK = (
    "the item names and answers printed on the pages, and the references: checking them needs "
    "the rule pack that made this PDF"
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


def _check_pages(
    page_texts: list[str], record: PdfRecord, pack: RulePack | None, source: str
) -> tuple[str, ...]:
    """Raise `ExportError` unless every page shows what the record holds; return what could
    not be checked. `pack` is the pack that made the PDF, when it is the current one."""
    bodies: list[str] = []
    problems: list[str] = []
    bad_heads: list[int] = []
    bad_bands: list[int] = []
    footers: list[tuple[int, int] | None] = []
    contract = CONTRACTS[record.format_version]
    head = _fold(running_head(record.answers, record.rule_set))
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
    return () if pack is not None or contract.from_checklist else (_UNCHECKED_WITHOUT_PACK,)


def _page_number(line: str) -> tuple[int, int] | None:
    """The "Page n of m" a page's last line ends with, if it is the footer."""
    folded, footer = _fold(line), _fold(FOOTER_TEXT)
    found = re.fullmatch(r"Page(\d{1,4})of(\d{1,4})", folded.removeprefix(footer))
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
    start = printed.find(_fold(DETAILS_NOTE + CHECKLIST_HEADING))
    end = printed.find(_fold(ANSWERS_HEADING + contract.answers_intro), start)
    if start < 0 or end < 0:
        return None
    shown = _RULE_IDS.findall(printed, start, end)
    recorded = [e.rule_id for b in section_blocks(contract, checklist) for e in b.entries]
    if shown == recorded:
        return None
    differences = [
        f"{label}: {_ids(ids)}"
        for label, ids in (
            ("not on the pages", [_shown(r) for r in recorded if r not in shown]),
            ("not in the record", [r for r in shown if r not in recorded]),
        )
        if ids
    ]
    if not differences:
        same_ids = sorted(shown) == sorted(recorded)
        differences = ["in another order" if same_ids else "some listed more than once"]
    return (
        f"the pages list {len(shown)} checklist entries, the embedded record "
        f"{len(recorded)}: {'; '.join(differences)}"
    )


def _ids(ids: list[str], most: int = 10) -> str:
    shown = ", ".join(ids[:most])
    return shown + (f" and {len(ids) - most} more" if len(ids) > most else "")


def _expected_parts(
    record: PdfRecord, pack: RulePack | None, contract: PageContract, entries_readable: bool
) -> list[_Part]:
    """The text of the pages below the running heads and above the footers, in order."""
    answers, checklist = record.answers, record.checklist
    parts = [
        _Part("the title", _fold(KICKER + TITLE), anchor=True),
        _Part("the disclaimer", _fold(checklist.disclaimer)),
    ]
    for label, value in details_rows(answers, record.rule_set):
        what = f"the {label.rstrip(':').lower()}"
        parts += [_Part(what, _fold(label), anchor=True), _Part(what, _fold(value))]
    parts += [
        _Part("the note under the details", _fold(DETAILS_NOTE + CHECKLIST_HEADING), anchor=True),
        _Part("the checklist summary", _fold(summary_text(checklist))),
    ]
    if entries_readable:
        parts += _entry_parts(checklist, pack, contract)
    else:
        parts.append(_Part("the checklist entries", "", unread=True))
    answers_intro = _fold(ANSWERS_HEADING + contract.answers_intro)
    parts.append(_Part("the Answers section", answers_intro, anchor=True))
    if contract.from_checklist:
        parts += _answers_parts(checklist, contract)
    elif pack is not None:
        parts += _pack_answers_parts(pack, answers)
    else:
        parts.append(_Part("the answers", "", unread=True))
    sign_off = _fold(NOTES_HEADING + SIGN_OFF_HEADING)
    parts += [
        _Part("the Notes and Sign-off part", sign_off, anchor=True),
        _Part("the clinician in the sign-off", _fold(answers.clinician or ""), shortened=True),
        _Part("the sign-off", _fold("".join(SIGN_OFF_CAPTIONS) + REFERENCES_HEADING), anchor=True),
    ]
    sources = checklist.cited if contract.from_checklist else pack.sources if pack else None
    if sources is not None:
        background = background_source(contract, sources)
        for source in sources:
            text = _fold(source.id + reference_text(source))
            parts.append(_Part(f"the reference {source.id}", text))
            if source.id == background:
                note = _fold(contract.background_note or "")
                parts.append(_Part("the note on background reading", note))
    else:
        parts.append(_Part("the references", "", unread=True))
    about = [_fold(paragraph.format(name=RECORD_NAME)) for paragraph in contract.about]
    parts += [
        _Part("the note about the embedded record", _fold(ABOUT_HEADING) + about[0], anchor=True),
        *(_Part("the closing page", text) for text in about[1:]),
        _Part("the 'Made by' line", _fold(made_by(record.generator, record.rule_set))),
        _Part("the note on characters not drawn", _fold(REPLACED_NOTE), optional=True),
    ]
    if contract.command:
        parts.append(_Part("the command line in small print", _fold(contract.command)))
    parts.append(
        _Part(
            "the checklist fingerprint",
            _fold(FINGERPRINT_LABEL + record.checklist_sha256),
            anchor=True,
        )
    )
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
        parts.append(_Part(f"the section heading {_shown(block.section)}", _fold(block.section)))
        for entry in block.raised:
            parts += _full_entry(entry, label, contract)
        if block.open_groups and contract.open_heading:
            parts.append(
                _Part("the heading of the open entries", _fold(contract.open_heading.upper()))
            )
        for item_id, group in block.open_groups:
            what = f"the question heading open entries on item {_shown(item_id)}"
            if question is not None:
                parts.append(
                    _Part(what, _fold(contract.find_out.format(question=question(item_id))))
                )
            else:
                parts.append(_Part(what, "", unread=True))
            for entry in group:
                parts += _open_entry(entry, label, contract)
    return parts


def _full_entry(
    entry: Entry, label: Callable[[str], str] | None, contract: PageContract
) -> list[_Part]:
    name = f"entry {_shown(entry.rule_id)}"
    mark = contract.done_mark if entry.done and contract.done_mark else ""
    parts = [
        _Part(f"the {'tick and ' if mark else ''}kind of {name}", mark + KIND_LABELS[entry.kind]),
        _Part(f"the text of {name}", _fold(entry.text)),
    ]
    return parts + _entry_tail(entry, label, contract, because=True)


def _open_entry(
    entry: Entry, label: Callable[[str], str] | None, contract: PageContract
) -> list[_Part]:
    name = f"entry {_shown(entry.rule_id)}"
    mark = contract.done_mark if entry.done and contract.done_mark else ""
    parts = [
        _Part(
            f"the {'tick and ' if mark else ''}text of {name}", _fold(mark + entry_headline(entry))
        )
    ]
    return parts + _entry_tail(entry, label, contract, because=open_because(entry))


def _entry_tail(
    entry: Entry, label: Callable[[str], str] | None, contract: PageContract, *, because: bool
) -> list[_Part]:
    """An entry's note, its "Because" line when printed, and its rule line."""
    name = f"entry {_shown(entry.rule_id)}"
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


class _QuietPypdf:
    """Silence pypdf's log of repairs to damaged files while reading; the caller says one line.

    Counted under a lock, so overlapping reads in app sessions restore the level exactly once.
    """

    def __init__(self) -> None:
        self._logger = logging.getLogger("pypdf")
        self._lock = threading.Lock()
        self._depth = 0
        self._saved = logging.NOTSET

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._saved = self._logger.level
                self._logger.setLevel(logging.CRITICAL)
            self._depth += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                self._logger.setLevel(self._saved)


_quiet_pypdf = _QuietPypdf()


def _read_pages(pdf_bytes: bytes) -> list[str]:
    with _quiet_pypdf:
        return [page.extract_text() for page in PdfReader(io.BytesIO(pdf_bytes)).pages]


def _open(pdf_bytes: bytes, source: str) -> tuple[PdfReader, PdfRecord, Any]:
    """The parsed file, after its structure is checked, with its record and the record's
    checklist as stored (for the hash)."""
    if b"%PDF-" not in pdf_bytes[:1024]:
        raise ExportError([Problem(source, "not a PDF file")])
    try:
        with _quiet_pypdf:
            reader = PdfReader(io.BytesIO(pdf_bytes))
            attachments = dict(reader.attachments)
            problems = structure_problems(reader, pdf_bytes, RECORD_NAME)
    except Exception:  # pypdf raises many kinds of error on damaged input; one message fits all
        raise ExportError(
            [Problem(source, "cannot read this PDF: the file is damaged or incomplete")]
        ) from None
    contents = attachments.get(RECORD_NAME, [])
    if not contents and not problems:
        raise ExportError(
            [
                Problem(
                    source,
                    f"no embedded checklist record ({RECORD_NAME}): "
                    "only PDFs made by `screening evaluate --format pdf` can be verified",
                )
            ]
        )
    if len(contents) > 1:
        problems.append(f"the PDF holds more than one {RECORD_NAME}")
    if problems:
        raise ExportError(
            [Problem(source, f"{problem}: the file has been altered") for problem in problems]
        )
    record, stored = read_record(contents[0], source)
    return reader, record, stored


def _page_texts(reader: PdfReader, source: str) -> list[str]:
    try:
        with _quiet_pypdf:
            return [page.extract_text() for page in reader.pages]
    except Exception:  # as in `_open`: damaged content streams raise many kinds of error
        raise ExportError(
            [Problem(source, "cannot read this PDF: the file is damaged or incomplete")]
        ) from None


# Comparing with a fresh rendering ------------------------------------------------------------

_SKIPPED_TRAILER_KEYS = ("/ID", "/Size", "/Prev", "/XRefStm")
"""The file identifier hashes the compressed bytes, which zlib builds may write differently."""
_STREAM_KEYS = ("/Length", "/Filter", "/DecodeParms")


def _graph(reader: PdfReader, most: int) -> list[Any] | None:
    """The document as a canonical list of objects, reached from the trailer in a fixed order,
    streams decoded: two files with the same graph show the same thing in every reader.
    None when it holds more than `most` objects."""
    numbers: dict[tuple[int, int], int] = {}
    pending: list[IndirectObject] = []

    def walk(value: Any) -> Any:
        if isinstance(value, IndirectObject):
            key = (value.idnum, value.generation)
            if key not in numbers:
                numbers[key] = len(numbers)
                pending.append(value)
            return ("ref", numbers[key])
        if isinstance(value, StreamObject):
            header = {k: v for k, v in value.items() if k not in _STREAM_KEYS}
            return ("stream", walk(DictionaryObject(header)), value.get_data())
        if isinstance(value, DictionaryObject):
            return tuple((str(k), walk(v)) for k, v in sorted(value.items()))
        if isinstance(value, ArrayObject):
            return tuple(walk(v) for v in value)
        return (type(value).__name__, str(value))

    trailer = {k: v for k, v in reader.trailer.items() if k not in _SKIPPED_TRAILER_KEYS}
    objects = [walk(DictionaryObject(trailer))]
    while pending:
        if len(objects) > most:
            return None
        objects.append(walk(pending.pop(0).get_object()))
    return objects


def _compare_with_fresh(reader: PdfReader, pack: RulePack, record: PdfRecord, source: str) -> None:
    """Render the record again with the pack that made it: the file must be what this program
    writes for it, object for object (streams compared decoded, not compressed)."""
    try:
        fresh = PdfReader(io.BytesIO(records.render(record)))
        expected = _graph(fresh, 1_000_000)
        with _quiet_pypdf:
            given = _graph(reader, len(expected or ()))
    except Exception:  # a damaged object surfaces only when read; one message fits all
        raise ExportError(
            [Problem(source, "cannot read this PDF: the file is damaged or incomplete")]
        ) from None
    if given == expected:
        return
    pairs = enumerate(zip(reader.pages, fresh.pages, strict=False), start=1)
    first = next((n for n, (a, b) in pairs if _page_graph(a) != _page_graph(b)), None)
    where = f", first on page {first}" if first else ""
    raise altered(source, f"the file differs from what this program writes for its record{where}")


def _page_graph(page: Any) -> Any:
    contents = page.get_contents()
    return (
        contents.get_data() if contents is not None else b"",
        sorted(page.keys()),
        tuple(round(float(v), 2) for v in page.mediabox),
    )
